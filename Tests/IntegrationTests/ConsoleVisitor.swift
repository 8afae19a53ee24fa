import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import ServiceRuntime

@testable import Console

/// A browser as the console's route tests play it: keeps the cookies the console sets, sends forms with the page's
/// CSRF token, and does not follow redirects (tests read where they go).
struct ConsoleVisitor {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    /// The CSRF token of the last page that had one.
    var csrf: String?

    struct Page {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var html: String
        var location: String? { headers[.location] }
    }

    init(_ client: any TestClientProtocol) { self.client = client }

    mutating func get(_ uri: String, headers extra: HTTPFields = [:]) async throws -> Page {
        try await send(uri, method: .get, body: nil, headers: extra)
    }

    /// Posts a form; `csrf` is added from the last page unless the test passes its own (or `nil` in `fields`).
    mutating func post(_ uri: String, _ fields: [(String, String)], withToken: Bool = true) async throws -> Page {
        var all = fields
        if withToken, let csrf, !fields.contains(where: { $0.0 == "csrf" }) { all.append(("csrf", csrf)) }
        let body = all.map { "\($0.0.escapedForURL)=\($0.1.escapedForURL)" }.joined(separator: "&")
        return try await send(
            uri, method: .post, body: ByteBuffer(string: body),
            headers: [.contentType: "application/x-www-form-urlencoded"])
    }

    private mutating func send(_ uri: String, method: HTTPRequest.Method, body: ByteBuffer?, headers extra: HTTPFields)
        async throws -> Page
    {
        var headers = extra
        if !cookies.isEmpty {
            headers[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                separator: "; ")
        }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
        for field in response.headers[values: .setCookie] {
            let first = field.split(separator: ";", omittingEmptySubsequences: false)[0]
            guard let equals = first.firstIndex(of: "=") else { continue }
            let name = String(first[..<equals])
            let value = String(first[first.index(after: equals)...])
            if value.isEmpty || field.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        let html = String(buffer: response.body)
        if let token = Self.csrfToken(in: html) { csrf = token }
        return Page(status: response.status, headers: response.headers, html: html)
    }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else {
            return nil
        }
        let match = html[range]
        return match.split(separator: "\"").dropFirst(3).first.map(String.init)
    }

    /// Signs in with the key through the sign-in form; the next page's token becomes `csrf`.
    mutating func signIn(key: String) async throws -> Page {
        _ = try await get("/sign-in")
        let signedIn = try await post("/sign-in", [("api_key", key), ("next", "/integrations")])
        _ = try await get("/integrations")
        return signedIn
    }

    /// The console's settings against the test stack.
    static func settings(_ stack: TestStack, port: Int = 0, extra: [String: String] = [:]) throws -> ConsoleSettings {
        var values = [
            "SWITCHYARD_GATEWAY_URL": stack.gatewayURL, "SWITCHYARD_LOGS_URL": stack.logsURL,
            TestStack.portKey: "\(port)", "SWITCHYARD_ICONTACT_APP_ID": "console-test-app",
        ]
        if port != 0 { values["SWITCHYARD_CONSOLE_PUBLIC_URL"] = "http://127.0.0.1:\(port)" }
        values.merge(extra) { $1 }
        return try ConsoleSettings(Settings(values))
    }

    /// Runs `body` against the console's router, built as the executable builds it.
    static func withConsole<T: Sendable>(
        _ stack: TestStack, _ body: @Sendable (inout ConsoleVisitor) async throws -> T
    ) async throws -> T {
        let router = try await makeConsoleRouter(
            settings: try settings(stack), registry: PrometheusCollectorRegistry(),
            logger: Logger(label: "console-test"))
        return try await Application(router: router).test(.router) { client in
            var visitor = ConsoleVisitor(client)
            return try await body(&visitor)
        }
    }
}
