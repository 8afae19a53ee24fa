import AMQP
import Connectors
import Foundation
import Logging
import Messages
import Metrics
import Pipeline
import ServiceLifecycle
import ServiceRuntime
import Storage

/// Performs a connector's action commands. Each attempt is claimed first (`ClaimLedger`), so of several worker
/// processes given the same command exactly one performs it; the attempt's follow-ups (its outcome, and a delayed
/// retry for a transient failure) are stored with the claim, then published, then the claim is marked published,
/// then the command is acked. A redelivery finds the claim: published → only ack; performed → publish the stored
/// follow-ups (never a second retry chain); held by a live process → wait for it.
struct ActionCommandHandler<C: Connector>: Sendable {
    let connector: C
    let credentials: CredentialsCache
    let integrations: IntegrationStore
    let claims: ClaimLedger
    let connection: AMQPConnection
    let topology: BrokerTopology
    let retry: RetryPolicy
    let logger: Logger
    let serializer = KeyedSerializer()
    let metrics: ActionMetrics
    /// Fair share of the worker per integration, and the circuit breaker.
    let gate: IntegrationGate

    init(
        connector: C, credentials: CredentialsCache, integrations: IntegrationStore, claims: ClaimLedger,
        connection: AMQPConnection, topology: BrokerTopology, retry: RetryPolicy, gate: IntegrationGate,
        logger: Logger
    ) {
        self.connector = connector
        self.credentials = credentials
        self.integrations = integrations
        self.claims = claims
        self.connection = connection
        self.topology = topology
        self.retry = retry
        self.gate = gate
        self.logger = logger
        self.metrics = ActionMetrics(connector: connector.descriptor.name)
    }

    /// One action command, already decoded by its consumer (`DeliveryConsumer(reading:)`).
    func handle(_ command: ActionCommand) async -> DeliveryDisposition {
        var commandLogger = logger
        commandLogger[metadataKey: "command_id"] = "\(command.commandID)"
        commandLogger[metadataKey: "event_id"] = "\(command.event.id)"
        commandLogger[metadataKey: "rule_id"] = "\(command.rule.id)"
        let logger = commandLogger
        let key = ClaimLedger.AttemptKey(completionKey: command.completionKey, attempt: command.attempt)
        let integrationID = command.rule.integrationID
        // An action past its maximum age is not deferred again: its next attempt is its last.
        let expired = Date().timeIntervalSince(command.createdAt) > Double(retry.maximumAge.milliseconds) / 1000
        if !expired, case .wait(let delay, let paused) = await gate.admit(integrationID) {
            return await deferred(command, by: delay, paused: paused, logger: logger)
        }
        let disposition: DeliveryDisposition
        var failed: Bool?
        do {
            failed = try await serializer.run(key: "\(key.completionKey)/\(key.attempt)") {
                try await handleClaimed(command, key: key, logger: logger)
            }
            disposition = .ack
        } catch {
            if Task.isShuttingDownGracefully || error is CancellationError {
                await claims.release(attempt: key)
                logger.info("command left for redelivery", metadata: ["error": "\(error)"])
                disposition = .redeliver
            } else {
                logger.error("action command cannot be processed; dead-lettering it", metadata: ["error": "\(error)"])
                disposition = .deadLetter(reason: ProcessingFailure.describe(error))
            }
        }
        if !expired { await gate.finish(integrationID, failed: failed) }
        return disposition
    }

    /// Sends a command back to the broker for `delay` (the same attempt: deferring is not trying), with a log
    /// outcome saying why when its integration is paused.
    private func deferred(
        _ command: ActionCommand, by delay: Duration, paused: String?, logger: Logger
    ) async -> DeliveryDisposition {
        let tier = retry.delays.sorted().first { $0 >= delay } ?? retry.delays.max() ?? delay
        do {
            var publications = [
                try topology.retryPublication(of: command, tier: tier, expiration: min(delay, tier * 6 / 5))
            ]
            if let paused {
                publications.append(
                    try outcomePublication(command, status: .retrying, reason: paused, attempt: nil, tag: "paused"))
            }
            // While the broker blocks publishing or is away, keep trying: a delivery left unacked on a live
            // connection would hold its prefetch slot for good (it comes back only when the connection closes),
            // and a flooded integration's deferrals would then take every slot of the worker.
            let deferral = publications
            try await retryingTransientFailures(logger: logger, what: "deferring a command") {
                try await connection.publishAll(deferral)
            }
            return .ack
        } catch {
            if Task.isShuttingDownGracefully || error is CancellationError {
                logger.info("command left for redelivery", metadata: ["error": "\(error)"])
                return .redeliver
            }
            logger.error("a command cannot be deferred; dead-lettering it", metadata: ["error": "\(error)"])
            return .deadLetter(reason: ProcessingFailure.describe(error))
        }
    }

    /// Handles a command whose integration was admitted; returns whether a performed attempt failed transiently
    /// (nil when this delivery performed nothing), for the circuit breaker.
    private func handleClaimed(_ command: ActionCommand, key: ClaimLedger.AttemptKey, logger: Logger) async throws
        -> Bool?
    {
        while true {
            let claim = try await retryingTransientFailures(logger: logger, what: "claiming the attempt") {
                try await claims.claimAttempt(key)
            }
            switch claim {
            case .done:
                return nil
            case .held(let remaining):
                // Another process performs this attempt now (or did, and died: its lease then runs out).
                if Task.isShuttingDownGracefully { throw CancellationError() }
                try await Task.sleep(for: min(max(remaining, .milliseconds(100)), .seconds(1)))
            case .republish(let stored):
                let publications = try MessageCoding.decode([Publication].self, from: stored)
                try await publish(publications, key: key, logger: logger)
                return nil
            case .perform:
                let (publications, failed) = try await perform(command, logger: logger)
                let stored = try MessageCoding.encode(publications)
                try await retryingTransientFailures(logger: logger, what: "recording the attempt") {
                    try await claims.recordPerformed(key, followups: stored)
                }
                try await publish(publications, key: key, logger: logger)
                return failed
            }
        }
    }

    private func publish(_ publications: [Publication], key: ClaimLedger.AttemptKey, logger: Logger) async throws {
        try await retryingTransientFailures(logger: logger, what: "publishing the outcome") {
            try await connection.publishAll(publications)
            try await claims.recordPublished(key)
        }
    }

    private func perform(_ command: ActionCommand, logger: Logger) async throws -> ([Publication], failed: Bool) {
        let at = Date()
        let label = command.rule.integrationLabel
        let appName = connector.descriptor.displayName
        let access = try await retryingTransientFailures(logger: logger, what: "reading the integration's credentials")
        {
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
                result.reason +=
                    " The integration \"\(access.label)\" needs reconnecting; after that, replay this entry."
            } else {
                // The merchant reconnected while this attempt used the old credentials: try again with the new ones.
                result.verdict = .transient(retryAfter: nil)
                result.reason += " The integration's credentials have changed since; trying again with the new ones."
            }
        }
        let attemptOutcome: Outcome.AttemptOutcome
        let status: LogStatus
        var reason = result.reason
        var messages: [Publication] = []
        switch result.verdict {
        case .success:
            attemptOutcome = .success
            status = .success
        case .permanent, .needsReconnect:
            attemptOutcome = .permanentFailure
            status = .failed
        case .transient(let retryAfter):
            attemptOutcome = .transientFailure
            let scheduled = command.scheduledAttempt
            let age = Date().timeIntervalSince(command.createdAt)
            if let delay = retry.delay(afterAttempt: scheduled, retryAfter: retryAfter),
                age + Double(delay.milliseconds) / 1000 <= Double(retry.maximumAge.milliseconds) / 1000
            {
                status = .retrying
                let expiration = retry.jittered(delay, notBefore: retryAfter)
                reason +=
                    " Retrying in \(Settings.format(expiration.roundedToSeconds)) "
                    + "(attempt \(scheduled + 1) of \(retry.maximumAttempts))."
                var next = command
                next.attempt += 1
                messages.append(try topology.retryPublication(of: next, tier: delay, expiration: expiration))
            } else if retry.delay(afterAttempt: scheduled, retryAfter: retryAfter) != nil {
                status = .failed
                reason =
                    "Gave up: the action is \(Settings.format(.seconds(Int64(age)).roundedToHours)) old and "
                    + "may not be retried after \(Settings.format(retry.maximumAge)). " + reason
            } else {
                status = .failed
                reason = "Gave up after \(scheduled) attempts: " + reason
            }
        }
        metrics.outcome(status).increment()
        logger.debug("action attempt", metadata: ["status": "\(status.rawValue)", "attempt": "\(command.attempt)"])
        let attempt = Outcome.Attempt(
            at: at, outcome: attemptOutcome, request: result.request, response: result.response,
            durationMS: Int(result.duration.milliseconds))
        messages.append(
            try outcomePublication(command, status: status, reason: reason, attempt: attempt, tag: status.rawValue))
        return (messages, attemptOutcome == .transientFailure)
    }
}

extension ActionCommandHandler {
    /// The log outcome of a command as a publication, with what the app answered made safe to store (control
    /// characters replaced, bounded): an app's reply is not the merchant's to choose, and one NUL in it would make the
    /// log service's write fail. `tag` tells apart the outcomes of one attempt (`success`, `paused`, …).
    func outcomePublication(
        _ command: ActionCommand, status: LogStatus, reason: String, attempt: Outcome.Attempt?, tag: String
    ) throws -> Publication {
        var attempt = attempt
        if let original = attempt {
            attempt?.request = original.request.sanitizedForLog()
            attempt?.response = original.response.sanitizedForLog()
        }
        let outcome = Outcome(
            entryID: command.commandID, marketplaceID: command.marketplaceID, eventID: command.event.id,
            trigger: command.event.type, test: command.event.isTest, customerEmail: command.event.customer.email,
            productID: command.rule.productID ?? command.event.productIDs.first, rule: command.rule, status: status,
            reason: reason.sanitizedForLog(), attemptNumber: command.attempt, attempt: attempt, at: Date())
        return try topology.publication(of: outcome, tag: tag)
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
            Counter(
                label: "switchyard_connector_outcomes_total",
                dimensions: [("connector", connector), ("status", status)])
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
    /// Whole seconds, for the log's "retrying in …".
    var roundedToSeconds: Duration { .seconds(max(1, (milliseconds + 500) / 1000)) }
    /// Whole hours (at least one), for the log's "the action is … old".
    var roundedToHours: Duration { .seconds(max(1, (milliseconds + 1_800_000) / 3_600_000) * 3600) }

    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
