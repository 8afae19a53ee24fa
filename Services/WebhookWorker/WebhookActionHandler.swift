import AMQP
import Foundation
import Logging
import Messages
import Metrics
import ServiceRuntime
import Storage

/// Performs webhook action commands: deliver, then publish the outcome (and a delayed retry for a transient
/// failure), then record completion, then ack. A redelivered command that already completed is only acked.
struct WebhookActionHandler: Sendable {
    let delivery: WebhookDelivery
    let secrets: SecretCache
    let ledger: EventLedger
    let connection: AMQPConnection
    let topology: BrokerTopology
    let retry: RetryPolicy
    let logger: Logger
    let serializer = KeyedSerializer()
    let attempts = Counter(label: "switchyard_webhook_attempts_total")
    let deliveredCounter = Counter(label: "switchyard_webhook_outcomes_total", dimensions: [("status", "success")])
    let retryingCounter = Counter(label: "switchyard_webhook_outcomes_total", dimensions: [("status", "retrying")])
    let failedCounter = Counter(label: "switchyard_webhook_outcomes_total", dimensions: [("status", "failed")])
    let latency = Timer(label: "switchyard_webhook_attempt_duration_seconds")

    func handle(_ amqpDelivery: AMQPDelivery) async {
        let command: ActionCommand
        do {
            guard amqpDelivery.message.type == nil || amqpDelivery.message.type == ActionCommand.contract else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown contract"))
            }
            command = try MessageCoding.decode(ActionCommand.self, from: amqpDelivery.message.body)
        } catch {
            logger.error("unreadable action command; dead-lettering it", metadata: ["error": "\(error)"])
            amqpDelivery.reject(requeue: false)
            return
        }
        var commandLogger = logger
        commandLogger[metadataKey: "command_id"] = "\(command.commandID)"
        commandLogger[metadataKey: "event_id"] = "\(command.event.id)"
        commandLogger[metadataKey: "rule_id"] = "\(command.rule.id)"
        let logger = commandLogger
        do {
            try await serializer.run(key: "\(command.commandID)/\(command.attempt)") {
                let done = try await retryingTransientFailures(logger: logger, what: "checking completion") {
                    try await ledger.isCompleted(commandID: command.completionKey)
                }
                if !done {
                    let publishes = try await perform(command, logger: logger)
                    try await retryingTransientFailures(logger: logger, what: "publishing the outcome") {
                        try await publishAll(publishes.messages)
                        if let final = publishes.finalStatus {
                            try await ledger.markCompleted(commandID: command.completionKey, status: final.rawValue)
                        }
                    }
                }
            }
            amqpDelivery.ack()
        } catch {
            logger.info("command left for redelivery", metadata: ["error": "\(error)"])
        }
    }

    /// What to publish after an attempt; `finalStatus` is set when the action will not be tried again.
    struct Publishes {
        var messages: [(AMQPMessage, exchange: String, routingKey: String)]
        var finalStatus: LogStatus?
    }

    private func perform(_ command: ActionCommand, logger: Logger) async throws -> Publishes {
        let at = Date()
        let secret = try await retryingTransientFailures(logger: logger, what: "reading the signing secret") {
            try await secrets.secret(integrationID: command.rule.integrationID)
        }
        let result: WebhookDelivery.Result
        if let secret, let signer = WebhookSigner(secret: secret) {
            let body = try MessageCoding.encode(
                WebhookDelivery.Payload(type: command.event.type.rawValue, timestamp: at, data: command.event))
            attempts.increment()
            result = await delivery.deliver(to: command.rule.destination.name, id: command.commandID, body: body, signer: signer)
            latency.recordNanoseconds(result.duration.nanoseconds)
        } else {
            result = WebhookDelivery.Result(
                verdict: .permanent,
                reason: secret == nil
                    ? "The integration \"\(command.rule.integrationLabel)\" was deleted, so the webhook was not sent."
                    : "The integration \"\(command.rule.integrationLabel)\" has no usable signing secret; reconnect it.",
                request: "not sent", response: "not sent", duration: .zero)
        }
        let attemptOutcome: Outcome.AttemptOutcome
        let status: LogStatus
        var reason = result.reason
        var messages: [(AMQPMessage, exchange: String, routingKey: String)] = []
        switch result.verdict {
        case .delivered:
            attemptOutcome = .success
            status = .success
            deliveredCounter.increment()
        case .permanent:
            attemptOutcome = .permanentFailure
            status = .failed
            failedCounter.increment()
        case .transient(let retryAfter):
            attemptOutcome = .transientFailure
            if let delay = retry.delay(afterAttempt: command.attempt, retryAfter: retryAfter) {
                status = .retrying
                reason += " Retrying in \(Settings.format(delay)) (attempt \(command.attempt + 1) of \(retry.maximumAttempts))."
                var next = command
                next.attempt += 1
                messages.append(
                    (AMQPMessage(
                        body: try MessageCoding.encode(next), messageID: next.commandID, type: ActionCommand.contract,
                        expiration: retry.jittered(delay)),
                     topology.retryExchange(delay: delay), command.rule.connector))
                retryingCounter.increment()
            } else {
                status = .failed
                reason = "Gave up after \(command.attempt) attempts: " + reason
                failedCounter.increment()
            }
        }
        logger.debug("webhook attempt", metadata: ["status": "\(status.rawValue)", "attempt": "\(command.attempt)"])
        let outcome = Outcome(
            entryID: command.commandID, marketplaceID: command.marketplaceID, eventID: command.event.id,
            trigger: command.event.type, test: command.event.isTest, customerEmail: command.event.customer.email,
            productID: command.rule.productID ?? command.event.productIDs.first, rule: command.rule, status: status,
            reason: reason, attemptNumber: command.attempt,
            attempt: Outcome.Attempt(
                at: at, outcome: attemptOutcome, request: result.request, response: result.response,
                durationMS: Int(result.duration.milliseconds)),
            at: Date())
        messages.append(
            (AMQPMessage(
                body: try MessageCoding.encode(outcome), messageID: "\(command.commandID)/\(command.attempt)/\(status.rawValue)",
                type: Outcome.contract),
             topology.outcomesExchange, BrokerTopology.outcomeRoutingKey))
        return Publishes(messages: messages, finalStatus: status == .retrying ? nil : status)
    }

    private func publishAll(_ messages: [(AMQPMessage, exchange: String, routingKey: String)]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (message, exchange, routingKey) in messages {
                group.addTask { try await connection.publish(message, exchange: exchange, routingKey: routingKey) }
            }
            try await group.waitForAll()
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
