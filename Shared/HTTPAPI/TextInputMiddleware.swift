import Foundation
import Hummingbird
import Messages

/// Refuses, before any handler runs, a request whose path or query parameters hold control characters or invalid
/// UTF-8 (`TextField`'s rule), with `400` naming the parameter: such a value could never be stored (PostgreSQL
/// refuses NUL in text) and would otherwise reach a query as an id. JSON bodies get the same check in
/// `APIRequestDecoder`.
public struct TextInputMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    /// Checks the path and every query parameter's name and value, then passes the request on.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let path = request.uri.path
        if path.contains("%") || TextField.containsControlCharacter(path) {
            try Self.check(percentEncoded: path, field: "path")
        }
        if let query = request.uri.query, !query.isEmpty {
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0]).replacingOccurrences(of: "+", with: " ")
                let value = parts.count > 1 ? String(parts[1]).replacingOccurrences(of: "+", with: " ") : ""
                let field = name.removingPercentEncoding ?? name
                try Self.check(percentEncoded: name, field: "query parameter")
                try Self.check(percentEncoded: value, field: field)
            }
        }
        return try await next(request, context)
    }

    /// Checks a percent-encoded value: valid UTF-8 once decoded, and no control character.
    static func check(percentEncoded value: String, field: String) throws {
        let problem: EventValidationError?
        do {
            try TextField.checkUTF8(percentDecodedBytes(value), field: field)
            try TextField.check(value.removingPercentEncoding ?? value, field: field)
            problem = nil
        } catch {
            problem = error
        }
        if let problem { throw APIError.badRequest(problem.message, field: problem.field) }
    }

    /// The bytes a percent-encoded text stands for (a malformed escape is kept as it is).
    static func percentDecodedBytes(_ value: String) -> [UInt8] {
        var bytes: [UInt8] = []
        let utf8 = Array(value.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
                let byte = UInt8(String(decoding: utf8[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                bytes.append(byte)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return bytes
    }
}
