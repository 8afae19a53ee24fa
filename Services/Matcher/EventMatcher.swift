import AMQP
import Foundation
import Logging
import Messages
import Metrics
import ServiceRuntime
import Storage

/// Matches one trigger event against its marketplace's rules and publishes the resulting commands.
///
/// Order matters for "nothing lost, nothing twice": publish every command (and its pending log outcome), wait
/// for the confirms, then mark the event processed, then ack. A crash before the mark republishes the same
/// commands (same ids), which workers recognise; a crash after it only redelivers an event that is skipped.
struct EventMatcher: Sendable {
    let marketplaces: MarketplaceStore
    let rules: RulesCache
    let ledger: EventLedger
    let connection: AMQPConnection
    let topology: BrokerTopology
    let logger: Logger
    let serializer = KeyedSerializer()
    let matched = Counter(label: "switchyard_matcher_events_total", dimensions: [("result", "matched")])
    let unmatched = Counter(label: "switchyard_matcher_events_total", dimensions: [("result", "unmatched")])
    let duplicates = Counter(label: "switchyard_matcher_events_total", dimensions: [("result", "duplicate")])
    let commands = Counter(label: "switchyard_matcher_commands_total")

    func handle(_ delivery: AMQPDelivery) async {
        let message: TriggerMessage
        do {
            guard delivery.message.type == nil || delivery.message.type == TriggerMessage.contract else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown contract \(delivery.message.type ?? "")"))
            }
            message = try MessageCoding.decode(TriggerMessage.self, from: delivery.message.body)
        } catch {
            // A message no version of this code can read: park it in the dead-letter queue for inspection.
            logger.error("unreadable trigger message; dead-lettering it", metadata: ["error": "\(error)"])
            delivery.reject(requeue: false)
            return
        }
        var eventLogger = logger
        eventLogger[metadataKey: "event_id"] = "\(message.event.id)"
        eventLogger[metadataKey: "marketplace_id"] = "\(message.marketplaceID)"
        let logger = eventLogger
        do {
            try await serializer.run(key: message.messageID) {
                try await retryingTransientFailures(logger: logger, what: "matching an event") {
                    try await process(message, logger: logger)
                }
            }
            delivery.ack()
        } catch {
            // Only when shutting down: the message stays unacked and is delivered again.
            logger.info("event left for redelivery", metadata: ["error": "\(error)"])
        }
    }

    private func process(_ message: TriggerMessage, logger: Logger) async throws {
        let event = message.event
        guard let state = try await marketplaces.matchingState(marketplaceID: message.marketplaceID, eventID: event.id) else {
            logger.warning("event for an unknown marketplace dropped")
            return
        }
        if state.processed {
            duplicates.increment()
            return
        }
        let all = try await rules.rules(marketplaceID: message.marketplaceID, version: state.rulesVersion)
        let matching = Self.matching(all, event: event)
        let now = Date()
        var publishes: [(AMQPMessage, exchange: String, routingKey: String)] = []
        if matching.isEmpty {
            unmatched.increment()
            let outcome = Outcome(
                entryID: Identifier.derived(prefix: "log", from: [message.marketplaceID, event.id, "unmatched"]),
                marketplaceID: message.marketplaceID, eventID: event.id, trigger: event.type, test: event.isTest,
                customerEmail: event.customer.email, productID: event.productIDs.first, rule: nil, status: .skipped,
                reason: "no rule matches", attemptNumber: 0, attempt: nil, at: now)
            publishes.append(try outcomeMessage(outcome))
        } else {
            matched.increment()
            for active in matching {
                let commandID = Identifier.derived(prefix: "log", from: [message.marketplaceID, event.id, active.rule.id])
                let snapshot = RuleSnapshot(
                    id: active.rule.id, trigger: active.rule.trigger, productID: active.rule.productID,
                    integrationID: active.rule.integrationID, integrationLabel: active.integrationLabel,
                    connector: active.connector, action: active.rule.action, destination: active.rule.destination)
                let command = ActionCommand(
                    commandID: commandID, marketplaceID: message.marketplaceID, event: event, rule: snapshot, createdAt: now)
                let pending = Outcome(
                    entryID: commandID, marketplaceID: message.marketplaceID, eventID: event.id, trigger: event.type,
                    test: event.isTest, customerEmail: event.customer.email,
                    productID: active.rule.productID ?? event.productIDs.first, rule: snapshot, status: .pending,
                    reason: "waiting to be performed", attemptNumber: 0, attempt: nil, at: now, event: event)
                publishes.append(try outcomeMessage(pending))
                publishes.append(
                    (AMQPMessage(body: try MessageCoding.encode(command), messageID: commandID, type: ActionCommand.contract),
                     topology.actionsExchange, active.connector))
            }
            commands.increment(by: matching.count)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (amqpMessage, exchange, routingKey) in publishes {
                group.addTask { try await connection.publish(amqpMessage, exchange: exchange, routingKey: routingKey) }
            }
            try await group.waitForAll()
        }
        try await ledger.markProcessed(marketplaceID: message.marketplaceID, eventID: event.id)
    }

    private func outcomeMessage(_ outcome: Outcome) throws -> (AMQPMessage, exchange: String, routingKey: String) {
        let id = "\(outcome.entryID)/\(outcome.attemptNumber)/\(outcome.status.rawValue)"
        return (AMQPMessage(body: try MessageCoding.encode(outcome), messageID: id, type: Outcome.contract),
                topology.outcomesExchange, BrokerTopology.outcomeRoutingKey)
    }

    /// The rules an event fires: those whose trigger the event's type fires, global ones for any product and
    /// product ones when their product is the event's product or one of its order's items.
    static func matching(_ rules: [ActiveRule], event: TriggerEvent) -> [ActiveRule] {
        let triggers = event.type.firedRuleTriggers
        let products = event.productIDs
        return rules.filter { active in
            guard triggers.contains(active.rule.trigger) else { return false }
            switch active.rule.scope {
            case .global: return true
            case .product: return active.rule.productID.map(products.contains) ?? false
            }
        }
    }
}
