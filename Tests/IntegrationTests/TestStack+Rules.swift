import Foundation

/// Helpers for the rules API and trigger semantics suites: rules from raw bodies, events of any shape, and
/// waiting for an event's log entries.
extension TestStack {
    /// `POST /v1/rules` with a raw body, for tests that look at the answer, including errors.
    func postRule(key: String, _ body: [String: Any]) async throws -> API.Response {
        try await API.json("POST", "\(gatewayURL)/v1/rules", token: key, body: body)
    }

    /// `PATCH /v1/rules/{id}`.
    func patchRule(key: String, id: String, _ body: [String: Any]) async throws -> API.Response {
        try await API.json("PATCH", "\(gatewayURL)/v1/rules/\(id)", token: key, body: body)
    }

    /// A valid rule body that POSTs to the receiver at `path`.
    func ruleBody(integrationID: String, trigger: String, productID: String? = nil, path: String) -> [String: Any] {
        var body: [String: Any] = [
            "scope": productID == nil ? "global" : "product", "trigger": trigger, "integration_id": integrationID,
            "action": "post", "destination": ["kind": "url", "name": receiver.url(path)],
        ]
        if let productID { body["product_id"] = productID }
        return body
    }

    /// Publishes an event and requires the gateway to accept it.
    func publishAccepted(key: String, _ event: [String: Any]) async throws {
        let response = try await publish(key: key, event)
        guard response.status == 202, response.object["status"] as? String == "accepted" else {
            throw HarnessError("publishing answered \(response.status): \(response.text)")
        }
    }

    /// The event's log entries once there are `count` and all are final.
    func finalEntries(key: String, eventID: String, count: Int, timeout: Duration = .seconds(20)) async throws
        -> [[String: Any]]
    {
        try await logEntries(key: key, eventID: eventID, timeout: timeout) {
            $0.count == count && $0.allSatisfy(isFinal)
        }
    }

    /// An event of any type for one product, with extra fields merged in.
    static func event(
        type: String, product: String = "prod_course", email: String = "jane@example.com",
        occurredAt: Date = Date(), extra: [String: Any] = [:]
    ) -> [String: Any] {
        var event = TestStack.event(id: "evt_\(UUID().uuidString)", type: type, product: product, email: email)
        event["occurred_at"] = ISO8601DateFormatter().string(from: occurredAt)
        for (field, value) in extra { event[field] = value }
        return event
    }

    /// Waits until nothing more arrives at `path` for a short while, then counts: for "it did NOT fire" checks,
    /// after the event's entries were already final.
    func settledCount(path: String) async throws -> Int {
        try await Task.sleep(for: .milliseconds(400))
        return receiver.requests(path: path).count
    }
}
