import AsyncHTTPClient
import ConnectorKit
import Connectors
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Talks HTTP to iContact: the six headers, JSON in and out, and every non-2xx or network failure turned into an
/// `ConnectorError`. Each call is written down in an `IContactTrail` for the log entry.
struct IContactClient: Sendable {
    let http: HTTPClient
    /// The API root including `/icp`, without a trailing slash.
    let apiURL: String
    let timeout: Duration
    let logger: Logger

    /// Answers larger than this are not iContact's (a page of 500 lists is far smaller).
    static let maximumBody = 8 * 1024 * 1024

    func get<Answer: Decodable>(
        _ path: String, query: [(String, String)] = [], as type: Answer.Type, login: IContactLogin,
        trail: inout IContactTrail
    ) async throws(ConnectorError) -> Answer {
        try await call(.GET, path, query: query, body: nil, as: type, login: login, trail: &trail)
    }

    func post<Answer: Decodable>(
        _ path: String, body: some Encodable, as type: Answer.Type, login: IContactLogin, trail: inout IContactTrail
    ) async throws(ConnectorError) -> Answer {
        let bytes: [UInt8]
        do {
            bytes = Array(try JSONEncoder().encode(body))
        } catch {
            throw ConnectorError(.permanent, "The request for iContact could not be written as JSON.")
        }
        return try await call(.POST, path, query: [], body: bytes, as: type, login: login, trail: &trail)
    }

    private func call<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, query: [(String, String)], body: [UInt8]?, as type: Answer.Type,
        login: IContactLogin, trail: inout IContactTrail
    ) async throws(ConnectorError) -> Answer {
        let target = path + Self.queryString(query)
        var request = HTTPClientRequest(url: apiURL + target)
        request.method = method
        for (name, value) in login.headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let summary = "\(method.rawValue) \(target)" + (body.map { " (\($0.count) bytes)" } ?? "")
        let started = ContinuousClock.now
        let status: Int
        let bytes: ByteBuffer
        let retryAfter: Duration?
        do {
            // One deadline for the head and the whole body: a slow answer never holds a worker slot past it.
            let response = try await http.executeBounded(request, timeout: timeout, maximumBytes: Self.maximumBody)
            status = Int(response.status.code)
            retryAfter = response.headers.retryAfter
            bytes = response.body
        } catch {
            let failure = classify(error)
            trail.record(request: summary, response: "no answer: \(failure.message)")
            logger.debug(
                "iContact call failed",
                metadata: ["request": "\(method.rawValue) \(path)", "error": "\(failure.message)"])
            throw failure
        }
        let text = login.redacting(String(decoding: bytes.readableBytesView, as: UTF8.self))
        trail.record(request: summary, response: "HTTP \(status)" + Self.excerpt(text))
        logger.debug(
            "iContact answered",
            metadata: [
                "request": "\(method.rawValue) \(path)", "status": "\(status)",
                "ms": "\((ContinuousClock.now - started).milliseconds)",
            ])
        let data = Data(text.utf8)
        guard (200..<300).contains(status) else {
            let errors = (try? JSONDecoder().decode(IContactAPI.Problem.self, from: data))?.errors ?? []
            throw ConnectorError.iContact(status: status, errors: errors, retryAfter: retryAfter)
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw ConnectorError(
                .transient,
                "iContact answered \(method.rawValue) \(path) with HTTP \(status) but not in the documented form.")
        }
    }

    /// Timeouts and broken connections: iContact may well answer next time.
    private func classify(_ error: any Error) -> ConnectorError {
        if error is NIOTooManyBytesError {
            return ConnectorError(.transient, "iContact's answer was larger than any it documents.")
        }
        return ConnectorError(network: error, app: "iContact", timeout: timeout)
    }

    /// `?name=value&…` with every value percent-encoded (an email may hold `+`, which a query would read as a space).
    static func queryString(_ query: [(String, String)]) -> String {
        guard !query.isEmpty else { return "" }
        let unreserved = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return "?"
            + query.map { name, value in
                "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value)"
            }.joined(separator: "&")
    }

    /// `: ` and the first 200 characters of the answer, for the log entry.
    static func excerpt(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return "" }
        return ": " + (trimmed.count > 200 ? trimmed.prefix(200) + "…" : trimmed)
    }
}

extension IContactLogin {
    /// `text` with the app password blotted out, in case an answer ever echoes it.
    func redacting(_ text: String) -> String {
        appPassword.count < 4 ? text : text.replacingOccurrences(of: appPassword, with: "[app password]")
    }
}
