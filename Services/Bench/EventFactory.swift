import Foundation
import Messages
import NIOCore

/// Builds the `product.purchased` events the benchmark sends: valid, distinct ids, optionally padded (in the
/// product name) to a chosen size so the effect of payload size can be measured.
struct EventFactory: Sendable {
    let runID: String
    /// Target size of one event's JSON in bytes; 0 keeps the natural size (about 300 bytes).
    let eventSize: Int

    /// A unique event id for the `index`th event of `phase`.
    func id(phase: String, index: Int) -> String {
        "bench-\(runID)-\(phase)-\(index)"
    }

    /// The event's JSON body.
    func event(id: String) -> ByteBuffer {
        ByteBuffer(string: json(id: id, padding: padding(for: id)))
    }

    /// The trigger message the gateway puts on the broker for such an event: the broker ceiling phase sends
    /// messages of exactly this size.
    func brokerPayload(marketplaceID: String) throws -> [UInt8] {
        let id = self.id(phase: "ceiling", index: 0)
        let body = Array(json(id: id, padding: padding(for: id)).utf8)
        let event = try MessageCoding.decode(TriggerEvent.self, from: body)
        return try MessageCoding.encode(TriggerMessage(marketplaceID: marketplaceID, receivedAt: Date(), event: event))
    }

    private func padding(for id: String) -> Int {
        guard eventSize > 0 else { return 0 }
        return max(0, eventSize - json(id: id, padding: 0).utf8.count)
    }

    private func json(id: String, padding: Int) -> String {
        let name = "Course" + String(repeating: "x", count: padding)
        return """
            {"id":"\(id)","type":"product.purchased","occurred_at":"2026-11-21T10:00:00Z","test":true,\
            "customer":{"email":"bench@example.com","first_name":"Bench","last_name":"Mark"},\
            "product":{"id":"prod_bench","name":"\(name)","price":"49.00","currency":"USD"},\
            "purchase_kind":"primary"}
            """
    }
}
