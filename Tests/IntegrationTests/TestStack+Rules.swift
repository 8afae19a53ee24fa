import Foundation

/// Helpers for the rules API and trigger semantics suites: rules from raw bodies, events of any shape, and
/// waiting for an event's log entries.
extension TestStack {
    /// `POST /v1/rules` with a body the typed client cannot send (a value the contract refuses), for tests that
    /// look at the refusal.
    func postRule(key: String, _ body: JSONValue) async throws -> API.Response {
        try await API.json("POST", "\(gatewayURL)/v1/rules", token: key, body: body)
    }

    /// `PATCH /v1/rules/{id}` with a body the typed client cannot send.
    func patchRule(key: String, id: String, _ body: JSONValue) async throws -> API.Response {
        try await API.json("PATCH", "\(gatewayURL)/v1/rules/\(id)", token: key, body: body)
    }

    /// `PATCH /v1/rules/{id}`: the rule as changed.
    @discardableResult
    func changeRule(key: String, id: String, _ change: Gateway.RuleChange) async throws -> Gateway.Rule {
        try await client(key).gateway.updateRule(path: .init(id: id), body: .json(change)).ok.body.json
    }

    /// Publishes an event and requires the gateway to accept it (not as a duplicate).
    func publishAccepted(key: String, _ event: Gateway.TriggerEvent) async throws {
        let answer = try await publish(key: key, event)
        guard answer.status == .accepted else {
            throw HarnessError("publishing \(event.id) answered \(answer.status.rawValue)")
        }
    }

    /// The event's log entries once there are `count` and all are final.
    func finalEntries(key: String, eventID: String, count: Int, timeout: Duration = .seconds(20)) async throws
        -> [Logs.LogEntry]
    {
        try await logEntries(key: key, eventID: eventID, timeout: timeout) {
            $0.count == count && $0.allSatisfy(isFinal)
        }
    }

    /// An event of any type for one product, occurring at `occurredAt`, with a fresh id.
    static func event(
        type: Gateway.TriggerType, product: String = "prod_course", email: String = "jane@example.com",
        occurredAt: Date = Date(), purchaseKind: Gateway.PurchaseKind? = nil
    ) -> Gateway.TriggerEvent {
        var event = TestStack.event(id: "evt_\(UUID().uuidString)", type: type, product: product, email: email)
        event.occurredAt = occurredAt
        event.purchaseKind = purchaseKind
        return event
    }

    /// Waits until nothing more arrives at `path` for a short while, then counts: for "it did NOT fire" checks,
    /// after the event's entries were already final.
    func settledCount(path: String) async throws -> Int {
        try await Task.sleep(for: .milliseconds(400))
        return receiver.requests(path: path).count
    }
}
