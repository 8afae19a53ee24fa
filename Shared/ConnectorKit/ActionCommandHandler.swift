import AMQP
import Connectors
import Foundation
import Logging
import Messages
import Metrics
import ServiceRuntime
import Storage

/// Performs a connector's action commands: act, then publish the outcome (and a delayed retry for a transient
/// failure), then record completion, then ack. A redelivered command that already completed is only acked, so
/// several worker processes on one queue never perform an action twice.
struct ActionCommandHandler<C: Connector>: Sendable {
    let connector: C
    let credentials: CredentialsCache
    let integrations: IntegrationStore
    let ledger: EventLedger
    let connection: AMQPConnection
    let topology: BrokerTopology
    let retry: RetryPolicy
    let logger: Logger
    let serializer = KeyedSerializer()
    let metrics: ActionMetrics

    init(
        connector: C, credentials: CredentialsCache, integrations: IntegrationStore, ledger: EventLedger,
        connection: AMQPConnection, topology: BrokerTopology, retry: RetryPolicy, logger: Logger
    ) {
        self.connector = connector
        self.credentials = credentials
        self.integrations = integrations
        self.ledger = ledger
        self.connection = connection
        self.topology = topology
        self.retry = retry
        self.logger = logger
        self.metrics = ActionMetrics(connector: connector.descriptor.name)
    }

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
        let label = command.rule.integrationLabel
        let appName = connector.descriptor.displayName
        let access = try await retryingTransientFailures(logger: logger, what: "reading the integration's credentials") {
            try await credentials.access(integrationID: command.rule.integrationID)
        }
        var result: ActionResult
        if let access {
            metrics.attempts.increment()
            result = await connector.perform(
                command,
                credentials: IntegrationCredentials(
                    integrationID: access.integrationID, label: access.label, account: access.account,
                    values: access.credentials))
            metrics.latency.recordNanoseconds(result.duration.nanoseconds)
        } else {
            result = ActionResult(
                verdict: .permanent,
                reason: "The integration \"\(label)\" was deleted, so nothing was sent to \(appName).",
                request: "not sent", response: "not sent", duration: .zero)
        }
        if result.verdict == .needsReconnect, let access {
            await credentials.forget(integrationID: access.integrationID)
            let refusal = result.reason
            let stillCurrent = try await retryingTransientFailures(logger: logger, what: "marking needs_reconnect") {
                try await integrations.markNeedsReconnect(
                    integrationID: access.integrationID, refusedCredentials: access.sealedCredentials,
                    reason: "\(appName) refused the credentials of \"\(access.label)\": reconnect the integration. "
                        + refusal)
            }
            if stillCurrent {
                result.reason += " The integration \"\(access.label)\" needs reconnecting; after that, replay this entry."
            } else {
                // The merchant reconnected while this attempt used the old credentials: try again with the new ones.
                result.verdict = .transient(retryAfter: nil)
                result.reason += " The integration's credentials have changed since; trying again with the new ones."
            }
        }
        let attemptOutcome: Outcome.AttemptOutcome
        let status: LogStatus
        var reason = result.reason
        var messages: [(AMQPMessage, exchange: String, routingKey: String)] = []
        switch result.verdict {
        case .success:
            attemptOutcome = .success
            status = .success
        case .permanent, .needsReconnect:
            attemptOutcome = .permanentFailure
            status = .failed
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
            } else {
                status = .failed
                reason = "Gave up after \(command.attempt) attempts: " + reason
            }
        }
        metrics.outcome(status).increment()
        logger.debug("action attempt", metadata: ["status": "\(status.rawValue)", "attempt": "\(command.attempt)"])
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

/// The worker's Prometheus series, labelled by connector.
struct ActionMetrics: Sendable {
    let attempts: Counter
    let latency: Timer
    let success, retrying, failed: Counter

    init(connector: String) {
        attempts = Counter(label: "switchyard_connector_attempts_total", dimensions: [("connector", connector)])
        latency = Timer(label: "switchyard_connector_attempt_duration_seconds", dimensions: [("connector", connector)])
        func outcome(_ status: String) -> Counter {
            Counter(label: "switchyard_connector_outcomes_total", dimensions: [("connector", connector), ("status", status)])
        }
        success = outcome("success")
        retrying = outcome("retrying")
        failed = outcome("failed")
    }

    func outcome(_ status: LogStatus) -> Counter {
        switch status {
        case .success: success
        case .retrying: retrying
        default: failed
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
