import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Talks to the running stack over HTTP the way a store and a merchant would: keep-alive connections, enough of
/// them for the load phases, JSON bodies.
struct PipelineClient: Sendable {
    let http: HTTPClient
    let gatewayURL: String
    let logsURL: String

    /// A marketplace's id and API key, as the admin API returns them.
    struct Marketplace: Sendable {
        var id: String
        var apiKey: String
    }

    /// One answer: the status and the body's bytes.
    struct Answer: Sendable {
        var status: HTTPResponseStatus
        var body: ByteBuffer

        /// The body as a JSON object, or an empty one.
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
        }
    }

    /// `connections` is the pool's per-host limit; load phases need one per concurrent request.
    static func makeHTTPClient(connections: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Sends one request; a transport failure throws, any HTTP status is returned.
    func send(_ method: HTTPMethod, _ url: String, token: String, body: ByteBuffer? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 4 << 20)
        return Answer(status: response.status, body: bytes)
    }

    /// Sends a JSON object and insists on `expected`.
    func sendJSON(
        _ method: HTTPMethod, _ url: String, token: String, _ object: [String: Any],
        expecting expected: HTTPResponseStatus
    ) async throws -> [String: Any] {
        let data = try JSONSerialization.data(withJSONObject: object)
        let answer = try await send(method, url, token: token, body: ByteBuffer(bytes: data))
        guard answer.status == expected else {
            throw BenchError(
                "\(method) \(url) answered \(answer.status.code), expected \(expected.code): "
                    + String(buffer: answer.body).prefix(300))
        }
        return answer.json
    }

    /// Creates a marketplace through the admin API.
    func createMarketplace(name: String, adminToken: String) async throws -> Marketplace {
        let json = try await sendJSON(
            .POST, "\(gatewayURL)/admin/v1/marketplaces", token: adminToken,
            ["name": name], expecting: .created)
        guard let id = json["id"] as? String, let key = json["api_key"] as? String else {
            throw BenchError("creating a marketplace returned no id or api_key")
        }
        return Marketplace(id: id, apiKey: key)
    }

    /// A webhook integration and one global `product.purchased` rule posting to `url`: one action per event.
    func addWebhookRule(to marketplace: Marketplace, url: String, label: String) async throws {
        let integration = try await sendJSON(
            .POST, "\(gatewayURL)/v1/integrations", token: marketplace.apiKey,
            ["connector": "webhook", "label": label, "credentials": [String: String]()], expecting: .created)
        guard let integrationID = integration["id"] as? String else {
            throw BenchError("creating the webhook integration returned no id")
        }
        _ = try await sendJSON(
            .POST, "\(gatewayURL)/v1/rules", token: marketplace.apiKey,
            [
                "scope": "global", "trigger": "product.purchased", "integration_id": integrationID,
                "action": "post", "destination": ["kind": "url", "name": url],
            ], expecting: .created)
    }

    /// Publishes one event; returns whether the gateway accepted it (202).
    func publish(_ event: ByteBuffer, apiKey: String) async -> Bool {
        guard let answer = try? await send(.POST, "\(gatewayURL)/v1/events", token: apiKey, body: event) else {
            return false
        }
        return answer.status == .accepted
    }

    /// The log service's count of outcomes written so far (its Prometheus counter).
    func outcomesWritten() async throws -> Double {
        try await logWriteCounters().outcomes
    }

    /// The log service's counters of outcomes written and of the batches (transactions) they were written in.
    func logWriteCounters() async throws -> (outcomes: Double, batches: Double) {
        let answer = try await send(.GET, "\(logsURL)/metrics", token: "")
        var outcomes = 0.0
        var batches = 0.0
        for line in String(buffer: answer.body).split(separator: "\n") {
            guard let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
            if line.hasPrefix("switchyard_logs_outcomes_written_total") { outcomes = value }
            if line.hasPrefix("switchyard_logs_write_batches_total") { batches = value }
        }
        return (outcomes, batches)
    }

    /// The status of the log entry of `eventID`, or nil when there is none yet.
    func logStatus(eventID: String, apiKey: String) async throws -> String? {
        let answer = try await send(.GET, "\(logsURL)/v1/logs?event_id=\(eventID)", token: apiKey)
        guard answer.status == .ok, let entries = answer.json["entries"] as? [[String: Any]] else { return nil }
        return entries.first?["status"] as? String
    }
}
