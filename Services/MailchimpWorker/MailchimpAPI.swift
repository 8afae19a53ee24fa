import AsyncHTTPClient
import ConnectorKit
import Connectors
import Foundation
import NIOCore
import NIOHTTP1
import Pipeline

/// Calls to Mailchimp's two hosts: the Marketing API (`{apiURL}/3.0/…`, per data center, within the account's
/// in-flight limit) and the login host (OAuth). Every call is summarised in a `Transcript` without credentials.
struct MailchimpAPI: Sendable {
    let client: HTTPClient
    let settings: MailchimpSettings
    /// Requests in flight per Mailchimp account, shared by every integration of that account in this process and
    /// by actions and catalog pages alike.
    let limiter: KeyedLimiter

    init(client: HTTPClient, settings: MailchimpSettings) {
        self.client = client
        self.settings = settings
        limiter = KeyedLimiter(limit: settings.maxInFlight)
    }

    /// What a host answered.
    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer

        /// The body as `T`; an answer that does not read as documented is a Mailchimp-side problem, worth retrying.
        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            do {
                return try JSONDecoder().decode(type, from: Data(body.readableBytesView))
            } catch {
                throw ConnectorError(
                    .transient, "Mailchimp answered in a form Switchyard could not read (HTTP \(status)).",
                    status: status, underlying: error)
            }
        }
    }

    // MARK: Marketing API

    /// A Marketing API request for the account `auth` opens. An answer of 400 or more is thrown as a classified
    /// `ConnectorError`, except the statuses in `passing`, which the caller handles (a 404 that means "not a member").
    /// `subject` is the address the request is about, for error sentences.
    func call(
        _ method: HTTPMethod, _ segments: [String], query: [(String, String)] = [], body: [UInt8]? = nil,
        auth: MailchimpAuth, subject: String? = nil, passing: Set<Int> = [], transcript: Transcript
    ) async throws -> Answer {
        let path = "/3.0/" + segments.map(Self.percentEncoded).joined(separator: "/")
        let queryText = query.isEmpty ? "" : "?" + Self.formEncoded(query)
        var request = HTTPClientRequest(url: settings.apiBase(dc: auth.dc) + path + queryText)
        request.method = method
        request.headers.add(name: "authorization", value: auth.authorization)
        request.headers.add(name: "accept", value: "application/json")
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let summary = "\(method.rawValue) \(path)\(queryText)" + (body.map { " (\($0.count) bytes)" } ?? "")
        let answer: Answer
        if let account = auth.accountID {
            answer = try await limiter.run(key: account) { [request] in
                try await send(request, summary: summary, transcript: transcript)
            }
        } else {
            // Connecting: one request before the account id is known.
            answer = try await send(request, summary: summary, transcript: transcript)
        }
        guard answer.status >= 400, !passing.contains(answer.status) else { return answer }
        let problem = try? answer.decode(MailchimpProblem.self)
        throw ConnectorError(
            mailchimp: answer.status, problem: problem, retryAfter: answer.headers.retryAfter, subject: subject)
    }

    /// Every item of a collection (`lists`, `segments`, …), page by page with `count` and `offset`.
    func collect<Item: CollectionItem>(
        _ segments: [String], query: [(String, String)] = [], auth: MailchimpAuth, transcript: Transcript
    ) async throws -> [Item] {
        var items: [Item] = []
        while true {
            let pageQuery = query + [("count", String(settings.pageSize)), ("offset", String(items.count))]
            let answer = try await call(.GET, segments, query: pageQuery, auth: auth, transcript: transcript)
            let page = try answer.decode(Page<Item>.self)
            items += page.items
            if page.items.isEmpty || items.count >= page.totalItems { return items }
        }
    }

    // MARK: Login host

    /// A request to the login host (`/oauth2/token`, `/oauth2/metadata`); error answers are the caller's to read,
    /// since they are OAuth errors, not problem+json.
    func login(_ method: HTTPMethod, _ path: String, form: [(String, String)]? = nil, authorization: String? = nil)
        async throws -> Answer
    {
        var request = HTTPClientRequest(url: settings.loginURL + path)
        request.method = method
        request.headers.add(name: "accept", value: "application/json")
        if let authorization { request.headers.add(name: "authorization", value: authorization) }
        if let form {
            request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: Self.formEncoded(form)))
        }
        return try await send(request, summary: "\(method.rawValue) \(path)", transcript: Transcript())
    }

    // MARK: Sending

    private func send(_ request: HTTPClientRequest, summary: String, transcript: Transcript) async throws -> Answer {
        do {
            // One deadline for the head and the whole body: a slow answer never holds a worker slot past it.
            let response = try await client.executeBounded(
                request, timeout: settings.timeout, maximumBytes: 16 * 1024 * 1024)
            let answer = Answer(status: Int(response.status.code), headers: response.headers, body: response.body)
            transcript.record(summary, Self.summary(of: answer))
            return answer
        } catch {
            let failure = ConnectorError(network: error, app: "Mailchimp", timeout: settings.timeout)
            transcript.record(summary, "no answer: \(failure.message)")
            throw failure
        }
    }

    /// "HTTP 200: {…first 300 characters…}"
    static func summary(of answer: Answer) -> String {
        let text = String(decoding: answer.body.readableBytesView.prefix(300), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let more = answer.body.readableBytes > 300 ? "…" : ""
        return "HTTP \(answer.status)" + (text.isEmpty ? "" : ": \(text)\(more)")
    }

    /// JSON for a request body.
    static func json(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw ConnectorError(
                .invalidInput, "Switchyard could not write the request for Mailchimp.", underlying: error)
        }
    }

    /// Only unreserved characters pass unencoded, so ids and values can never change a URL's structure.
    static func percentEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(
            CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// `a=1&b=x%20y`, for query strings and form bodies.
    static func formEncoded(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(percentEncoded($0.0))=\(percentEncoded($0.1))" }.joined(separator: "&")
    }
}

/// An entry of a Mailchimp collection, which the API returns under the collection's own key (`lists`, …).
protocol CollectionItem: Decodable, Sendable {
    static var collection: String { get }
}

/// One page of a Mailchimp collection: its items and `total_items`.
struct Page<Item: CollectionItem>: Decodable, Sendable {
    var items: [Item]
    var totalItems: Int

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        items = try container.decode([Item].self, forKey: Key(stringValue: Item.collection))
        totalItems = try container.decodeIfPresent(Int.self, forKey: Key(stringValue: "total_items")) ?? items.count
    }
}
