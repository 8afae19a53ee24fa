import AMQP
import Foundation
import Messages
import Pipeline

/// Puts accepted events on the broker, returning only once the broker has confirmed them.
struct EventPublisher: Sendable {
    let connection: AMQPConnection
    let topology: BrokerTopology
    let timeout: Duration

    /// Publishes a validated event; `eventJSON` is the body it was decoded from, forwarded as it is (see
    /// `TriggerMessage.encoded`).
    func publish(_ event: TriggerEvent, eventJSON: some Collection<UInt8>, marketplaceID: String) async throws {
        let body = try TriggerMessage.encoded(
            marketplaceID: marketplaceID, receivedAt: Date(), event: event, eventJSON: eventJSON)
        try await connection.publish(
            topology.publication(ofTrigger: body, marketplaceID: marketplaceID, eventID: event.id), timeout: timeout)
    }
}
