import Foundation
import HTTPTypes
import Hummingbird
import Mustache

/// The console's HTML: mustache templates shipped as the target's resources (`Resources/templates`), pages
/// rendered inside `layout.mustache`, fragments (what htmx swaps in) on their own.
struct Views: Sendable {
    private let library: MustacheLibrary

    /// Which tab a page belongs to, for the navigation.
    enum Tab: String {
        case integrations, rules, products, logs, testEvent = "test_event"
    }

    init(directory: URL) async throws {
        library = try await MustacheLibrary(directory: directory.path)
    }

    /// The templates shipped with the console.
    static func bundled() async throws -> Views {
        guard let directory = Bundle.module.url(forResource: "templates", withExtension: nil) else {
            throw ConsoleSetupError(message: "the console's templates are missing from its resource bundle")
        }
        return try await Views(directory: directory)
    }

    /// A whole page: `template` inside the layout, with the navigation, the CSRF token and the flash notice.
    func page(
        _ template: String, title: String, tab: Tab? = nil, _ values: [String: Any] = [:],
        context: ConsoleContext, notice: Notice? = nil, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        var all = values
        all["title"] = title
        all["signed_in"] = context.session != nil
        all["csrf"] = context.session?.csrfToken ?? ""
        if let tab { all["tab_\(tab.rawValue)"] = true }
        if let notice = notice ?? context.notice {
            all["notice"] = ["text": notice.text, "kind": notice.kind.rawValue]
        }
        return try html(render(template, all), status: status)
    }

    /// A part of a page, for htmx to swap in.
    func fragment(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) throws -> Response {
        try html(render(template, values), status: status)
    }

    /// A page that only says something: an error, an expired form, a missing record.
    func message(
        status: HTTPResponse.Status, title: String, text: String, context: ConsoleContext,
        link: (href: String, label: String)? = nil
    ) throws -> Response {
        var values: [String: Any] = ["heading": title, "text": text]
        if let link { values["link"] = ["href": link.href, "label": link.label] }
        return try page("message", title: title, values, context: context, status: status)
    }

    private func render(_ template: String, _ values: [String: Any]) throws -> String {
        guard let html = library.render(values, withTemplate: template) else {
            throw ConsoleSetupError(message: "no template named \(template)")
        }
        return html
    }

    private func html(_ text: String, status: HTTPResponse.Status) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// A sentence at the top of a page: what just happened.
struct Notice: Sendable {
    enum Kind: String { case success, error, info }
    var text: String
    var kind: Kind

    static func success(_ text: String) -> Notice { Notice(text: text, kind: .success) }
    static func error(_ text: String) -> Notice { Notice(text: text, kind: .error) }
}

/// The console cannot start: a resource is missing or a template does not parse.
struct ConsoleSetupError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
