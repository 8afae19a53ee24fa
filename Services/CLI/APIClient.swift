import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// JSON over HTTP to one Switchyard service, with failures turned into the CLI's exit codes.
struct APIClient: Sendable {
    let baseURL: String
    /// Sent as a bearer token when present.
    let token: String?

    /// Sends a request and returns the answer's JSON (an empty object for 204).
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String?)] = [], body: JSONValue? = nil
    ) async throws -> JSONValue {
        var url = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        url += path
        let pairs = query.compactMap { name, value in value.map { (name, $0) } }
        if !pairs.isEmpty {
            var components = URLComponents()
            components.queryItems = pairs.map { URLQueryItem(name: $0.0, value: $0.1) }
            // URLComponents leaves "+" alone, which servers read as a space: encode it.
            url += "?" + (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        request.headers.add(name: "accept", value: "application/json")
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try body.data()))
        }
        let status: Int
        let bytes: [UInt8]
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            status = Int(response.status.code)
            bytes = Array(try await response.body.collect(upTo: 16 * 1024 * 1024).readableBytesView)
        } catch {
            throw CLIError(message: "cannot reach \(baseURL): \(error)", exitCode: CLIError.unavailableExitCode)
        }
        let value = bytes.isEmpty ? JSONValue([String: Any]()) : (try? JSONValue(parsing: bytes))
        switch status {
        case 200..<300:
            return value ?? JSONValue([String: Any]())
        case 400..<500:
            throw CLIError(message: Self.describe(status, value, bytes), exitCode: CLIError.refusedExitCode)
        default:
            throw CLIError(message: Self.describe(status, value, bytes), exitCode: CLIError.unavailableExitCode)
        }
    }

    /// "404 not_found: log entry x does not exist (field …)" from the API's error body.
    private static func describe(_ status: Int, _ value: JSONValue?, _ bytes: [UInt8]) -> String {
        guard let error = value?["error"] else {
            return "\(status): \(String(decoding: bytes.prefix(200), as: UTF8.self))"
        }
        var text = "\(status) \(error["code"]?.text ?? "error"): \(error["message"]?.text ?? "")"
        if let field = error["field"]?.text { text += " (field \(field))" }
        return text
    }
}
