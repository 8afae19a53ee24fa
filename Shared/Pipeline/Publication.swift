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
                group.addTask { try await self.publish(publication) }
            }
            try await group.waitForAll()
        }
    }
}

/// Every message the pipeline publishes is made here: which exchange, which routing key, which message id. A
/// publication is a value (the action handler stores its follow-ups with its claim before publishing them), so
/// what is published is the same from the matcher, a worker's retry and a replay.
extension BrokerTopology {
    /// An accepted event on its way to the matcher; `body` is the encoded `TriggerMessage` (see
    /// `TriggerMessage.encoded`, which forwards the store's bytes), its message id the marketplace's event.
    public func publication(ofTrigger body: [UInt8], marketplaceID: String, eventID: String) -> Publication {
        Publication(
            AMQPMessage(
                body: body, messageID: TriggerMessage.messageID(marketplaceID: marketplaceID, eventID: eventID),
                type: TriggerMessage.contract),
            exchange: eventsExchange, routingKey: BrokerTopology.triggerRoutingKey)
    }

    /// A prospect's trigger sent to come back to the matcher after `delay` (the delayed-triggers exchange of that
    /// delay), marked `delayed`, with the rules whose entries wait for it.
    public func publication(
        ofDue message: TriggerMessage, waiting ruleIDs: [String], after delay: Duration
    ) throws -> Publication {
        var due = message
        due.delayed = true
        due.waitingRuleIDs = ruleIDs
        return Publication(
            AMQPMessage(
                body: try MessageCoding.encode(due), messageID: "\(message.messageID)/due",
                type: TriggerMessage.contract),
            exchange: delayedTriggersExchange(delay: delay), routingKey: "")
    }

    /// An action command for its connector's workers.
    public func publication(of command: ActionCommand) throws -> Publication {
        publication(ofEncodedCommand: try MessageCoding.encode(command), command: command)
    }

    /// An action command already encoded (a replay's, kept in the outbox as it was first written) for its
    /// connector's workers; its message id is the command's completion key, so a replay is told from the original.
    public func publication(ofEncodedCommand body: [UInt8], command: ActionCommand) -> Publication {
        publication(ofEncodedCommand: body, completionKey: command.completionKey, connector: command.rule.connector)
    }

    /// An encoded action command named by its completion key and connector (what the replay outbox keeps).
    public func publication(ofEncodedCommand body: [UInt8], completionKey: String, connector: String) -> Publication {
        Publication(
            AMQPMessage(body: body, messageID: completionKey, type: ActionCommand.contract),
            exchange: actionsExchange, routingKey: connector)
    }

    /// A command sent back through the retry tier `tier` (its queue's TTL), expiring after `expiration` (at most
    /// the tier), when it comes back to its connector's workers: a retry, or a deferral of the same attempt.
    public func retryPublication(of command: ActionCommand, tier: Duration, expiration: Duration) throws -> Publication
    {
        Publication(
            AMQPMessage(
                body: try MessageCoding.encode(command), messageID: command.completionKey, type: ActionCommand.contract,
                expiration: expiration),
            exchange: retryExchange(delay: tier), routingKey: command.rule.connector)
    }

    /// An outcome on its way to the log service. Its message id tells the broker's copies of one outcome apart from
    /// the next outcome of the same entry: the entry, the attempt and `tag` (the status unless told otherwise, such
    /// as `paused` for a deferral's).
    public func publication(of outcome: Outcome, tag: String? = nil) throws -> Publication {
        let id = "\(outcome.entryID)/\(outcome.attemptNumber)/\(tag ?? outcome.status.rawValue)"
        return Publication(
            AMQPMessage(body: try MessageCoding.encode(outcome), messageID: id, type: Outcome.contract),
            exchange: outcomesExchange, routingKey: BrokerTopology.outcomeRoutingKey)
    }
}

extension AMQPConnection {
    /// Publishes one publication and returns when the broker confirmed it.
    public func publish(_ publication: Publication, timeout: Duration = .seconds(5)) async throws {
        try await publish(
            publication.message, exchange: publication.exchange, routingKey: publication.routingKey, timeout: timeout)
    }
}
