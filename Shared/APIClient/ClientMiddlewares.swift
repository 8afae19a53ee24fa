import Foundation
import GatewayAPI
import HTTPTypes
import OpenAPIRuntime

/// Sends `Authorization: Bearer <token>` with every request.
struct BearerToken: ClientMiddleware {
    let token: String

    init(_ token: String) { self.token = token }

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        request.headerFields[.authorization] = "Bearer \(token)"
        return try await next(request, body, baseURL)
    }
}

/// Turns every `4xx` and `5xx` answer into a thrown `APIRefusal` read from the API's error body, before the
/// generated code sees it: callers take the answer they expect and catch refusals in one place.
struct RefusalMiddleware: ClientMiddleware {
    /// The most of an error body read.
    static let limit = 64 * 1024

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let (response, responseBody) = try await next(request, body, baseURL)
        let status = response.status.code
        guard status >= 400 else { return (response, responseBody) }
        var bytes = Data()
        if let responseBody { bytes = try await Data(collecting: responseBody, upTo: Self.limit) }
        let retryAfter = response.headerFields[.retryAfter]
        // Both services answer refusals with the same documented body (`ErrorBody` in each document).
        guard let error = try? JSONDecoder().decode(Components.Schemas.ErrorBody.self, from: bytes).error else {
            let text = String(decoding: bytes.prefix(200), as: UTF8.self)
            throw APIRefusal(
                status: status, code: "http_\(status)", message: text.isEmpty ? response.status.reasonPhrase : text,
                retryAfter: retryAfter)
        }
        throw APIRefusal(
            status: status, code: error.code, message: error.message, field: error.field,
            ruleIDs: error.ruleIds ?? [], retryAfter: retryAfter)
    }
}

/// RFC 3339 times as the API writes them (UTC, with milliseconds), read with or without fractional seconds.
struct RFC3339DateTranscoder: DateTranscoder {
    func encode(_ date: Date) throws -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    func decode(_ text: String) throws -> Date {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) {
            return date
        }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not an RFC 3339 time: \(text)"))
    }
}
