import Foundation
import HTTPTypes
import Hummingbird

/// The console's stylesheet, its script and the vendored htmx (with its licence), read from the resource bundle
/// once and served from memory under `/static`.
struct StaticAssets: Sendable {
    private let files: [String: (body: ByteBuffer, type: String)]

    static let names = ["console.css", "console.js", "htmx.min.js", "htmx-LICENSE.txt"]

    static func bundled() throws -> StaticAssets {
        var files: [String: (ByteBuffer, String)] = [:]
        for name in names {
            let parts = name.split(separator: ".")
            guard
                let url = Bundle.module.url(
                    forResource: parts.dropLast().joined(separator: "."), withExtension: String(parts.last ?? ""),
                    subdirectory: "static")
            else { throw ConsoleSetupError(message: "the console's \(name) is missing from its resource bundle") }
            let type: String =
                switch parts.last {
                case "css": "text/css; charset=utf-8"
                case "js": "text/javascript; charset=utf-8"
                default: "text/plain; charset=utf-8"
                }
            files[name] = (ByteBuffer(bytes: try Data(contentsOf: url)), type)
        }
        return StaticAssets(files: files)
    }

    var routes: RouteCollection<ConsoleContext> {
        let routes = RouteCollection(context: ConsoleContext.self)
        routes.get(":file") { _, context -> Response in
            let name = try context.parameters.require("file")
            guard let file = files[name] else { throw HTTPError(.notFound) }
            return Response(
                status: .ok, headers: [.contentType: file.type, .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: file.body))
        }
        return routes
    }
}
