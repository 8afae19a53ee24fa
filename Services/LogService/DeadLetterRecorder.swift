import AMQP
import Foundation
import Logging
import Messages
import Metrics
import Pipeline
import ServiceLifecycle
import Storage

/// Consumes `<prefix>.dead`: every message that could not be processed becomes a final, explained log entry in its
/// marketplace — an action's entry turns `failed` ("could not be processed: …", replayable), an event gets a
/// `failed` entry of its own, an outcome is recorded with what in it the database refused made harmless. Then the
/// dead letter is acknowledged, so the dead queue does not grow. What cannot be attributed or recorded goes to the
/// bounded `<prefix>.dead.parked` queue with its reason.
struct DeadLetterRecorder: Sendable {
    let writer: BatchWriter<Outcome, Void>
    let connection: AMQPConnection
    let topology: BrokerTopology
    let logger: Logger

    func handle(_ delivery: AMQPDelivery) async -> DeliveryDisposition {
        let reason = Self.reason(delivery.message.headers)
        let (kind, outcome) = Self.outcome(for: delivery.message, reason: reason)
        Counter(label: "switchyard_dead_letters_total", dimensions: [("kind", kind)]).increment()
        guard let outcome else {
            logger.error("unreadable dead letter; parking it", metadata: ["reason": "\(reason)"])
            return await park(delivery, reason: "unreadable: \(reason)")
        }
        do {
            // The last line of defence gives up only on what can never be written, not on what is unknown.
            try await retryingTransientFailures(
                logger: logger, what: "recording a dead letter", unknownAttempts: .max
            ) {
                try await writer.submit(outcome)
            }
            logger.warning(
                "dead letter recorded in the log",
                metadata: ["kind": "\(kind)", "entry_id": "\(outcome.entryID)", "reason": "\(reason)"])
            return .ack
        } catch {
            if Task.isShuttingDownGracefully { return .redeliver }
            return await park(delivery, reason: "\(reason); recording it failed: \(ProcessingFailure.describe(error))")
        }
    }

    private func park(_ delivery: AMQPDelivery, reason: String) async -> DeliveryDisposition {
        var message = delivery.message
        message.headers[DeadLetter.reasonHeader] = .string(String(reason.prefix(1000)))
        do {
            try await connection.publish(message, exchange: "", routingKey: topology.parkedQueue)
            return .ack
        } catch {
            return .redeliver
        }
    }

    /// Why the message is dead: the handler's reason, or what the broker says (the delivery limit, mostly).
    static func reason(_ headers: [String: AMQPValue]) -> String {
        if case .string(let reason)? = headers[DeadLetter.reasonHeader] { return reason }
        guard case .string(let broker)? = headers["x-first-death-reason"] else {
            return "it was dead-lettered without a reason"
        }
        switch broker {
        case "delivery_limit":
            return "it was delivered \(BrokerTopology.deliveryLimit) times and every try was interrupted"
        case "rejected":
            return "the process that received it refused it"
        default:
            return "the broker dead-lettered it (\(broker))"
        }
    }

    /// The log outcome a dead message becomes, by its contract (or its shape, for a message without a type), and
    /// the kind counted in the metric.
    static func outcome(for message: AMQPMessage, reason: String) -> (kind: String, outcome: Outcome?) {
        let now = Date()
        let body = message.body
        let type = message.type
        if type == ActionCommand.contract || type == nil,
            let command = try? MessageCoding.decode(ActionCommand.self, from: body)
        {
            let outcome = Outcome(
                entryID: command.commandID, marketplaceID: command.marketplaceID, eventID: command.event.id,
                trigger: command.event.type, test: command.event.isTest, customerEmail: command.event.customer.email,
                productID: command.rule.productID ?? command.event.productIDs.first, rule: command.rule,
                status: .failed, reason: "Could not be processed: \(reason). Replay it once the cause is fixed.",
                attemptNumber: command.attempt, attempt: nil, at: now, event: command.event)
            return ("action", outcome.sanitizedForStorage())
        }
        if type == TriggerMessage.contract || type == nil,
            let trigger = try? MessageCoding.decode(TriggerMessage.self, from: body)
        {
            let event = trigger.event
            let outcome = Outcome(
                entryID: Identifier.derived(prefix: "log", from: [trigger.marketplaceID, event.id, "dead"]),
                marketplaceID: trigger.marketplaceID, eventID: event.id, trigger: event.type, test: event.isTest,
                customerEmail: event.customer.email, productID: event.productIDs.first, rule: nil, status: .failed,
                reason: "The event could not be processed: \(reason).", attemptNumber: 0, attempt: nil, at: now)
            return ("trigger", outcome.sanitizedForStorage())
        }
        if type == Outcome.contract || type == nil, let outcome = try? MessageCoding.decode(Outcome.self, from: body) {
            return ("outcome", outcome.sanitizedForStorage())
        }
        return ("unreadable", nil)
    }
}
