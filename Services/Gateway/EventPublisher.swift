import AMQP
import Foundation
import Messages
import ServiceRuntime

/// Puts accepted events on the broker, returning only once the broker has confirmed them.
struct EventPublisher: Sendable {
    let connection: AMQPConnection
    let topology: BrokerTopology
    let timeout: Duration

    func publish(_ message: TriggerMessage) async throws {
        try await connection.publish(
            AMQPMessage(body: try MessageCoding.encode(message), messageID: message.messageID, type: TriggerMessage.contract),
            exchange: topology.eventsExchange, routingKey: BrokerTopology.triggerRoutingKey, timeout: timeout)
    }
}
