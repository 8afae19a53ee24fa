import AMQP
import Foundation
import Messages

/// One message to publish and where it goes. Codable, so an action's follow-ups can be stored with its claim
/// before they are published (see `ClaimLedger`) and published again, identical, after a crash.
public struct Publication: Sendable, Codable {
    /// The message: body and properties.
    public var message: AMQPMessage
    /// The exchange it is published to.
    public var exchange: String
    /// The routing key it is published with.
    public var routingKey: String

    /// Creates a publication of a message to an exchange with a routing key.
    public init(_ message: AMQPMessage, exchange: String, routingKey: String) {
        self.message = message
        self.exchange = exchange
        self.routingKey = routingKey
    }

    enum CodingKeys: String, CodingKey {
        case exchange, body, type
        case routingKey = "routing_key"
        case messageID = "message_id"
        case expirationMS = "expiration_ms"
    }

    /// Decodes a stored publication: the body, message id, type and expiration, with its destination.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        exchange = try container.decode(String.self, forKey: .exchange)
        routingKey = try container.decode(String.self, forKey: .routingKey)
        message = AMQPMessage(
            body: Array(try container.decode(Data.self, forKey: .body)),
            messageID: try container.decodeIfPresent(String.self, forKey: .messageID),
            type: try container.decodeIfPresent(String.self, forKey: .type),
            expiration: try container.decodeIfPresent(Int64.self, forKey: .expirationMS).map { .milliseconds($0) })
    }

    /// Encodes the publication for storage: the body, message id, type and expiration, with its destination.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(exchange, forKey: .exchange)
        try container.encode(routingKey, forKey: .routingKey)
        try container.encode(Data(message.body), forKey: .body)
        try container.encodeIfPresent(message.messageID, forKey: .messageID)
        try container.encodeIfPresent(message.type, forKey: .type)
        try container.encodeIfPresent(message.expiration?.milliseconds, forKey: .expirationMS)
    }
}

extension AMQPConnection {
    /// Publishes every message at once and returns when the broker confirmed them all.
    public func publishAll(_ publications: [Publication]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for publication in publications {
                group.addTask {
                    try await self.publish(
                        publication.message, exchange: publication.exchange, routingKey: publication.routingKey)
                }
            }
            try await group.waitForAll()
        }
    }
}

extension BrokerTopology {
    /// An outcome on its way to the log service; its message id tells the broker's copies of one outcome apart
    /// from the next outcome of the same entry.
    public func publication(of outcome: Outcome) throws -> Publication {
        let id = "\(outcome.entryID)/\(outcome.attemptNumber)/\(outcome.status.rawValue)"
        return Publication(
            AMQPMessage(body: try MessageCoding.encode(outcome), messageID: id, type: Outcome.contract),
            exchange: outcomesExchange, routingKey: BrokerTopology.outcomeRoutingKey)
    }
}
