import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Plain HTTP calls to the services, the way a store or a merchant's script makes them.
enum API {
    struct Response: @unchecked Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        var errorField: String? { (object["error"] as? [String: Any])?["field"] as? String }
        var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
        var errorMessage: String { (object["error"] as? [String: Any])?["message"] as? String ?? "" }
    }

    /// A client that hands back a redirect instead of following it, to read where an app sends the browser.
    private static let withoutRedirects = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    static func raw(
        _ method: String, _ url: String, token: String? = nil, body: [UInt8]? = nil, headers: [(String, String)] = [],
        timeout: Duration = .seconds(10), followRedirects: Bool = true
    ) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let client = followRedirects ? HTTPClient.shared : withoutRedirects
        let response = try await client.execute(request, timeout: .init(timeout))
        let collected = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return Response(status: Int(response.status.code), headers: response.headers, body: Array(collected.readableBytesView))
    }

    static func json(_ method: String, _ url: String, token: String? = nil, body: Any? = nil) async throws -> Response {
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        return try await raw(method, url, token: token, body: bytes)
    }
}
