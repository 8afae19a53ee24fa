import AMQP
import Foundation
import Logging
import Messages
import Metrics
import Pipeline
import ServiceLifecycle
import ServiceRuntime
import Storage

/// Matches one trigger event against its marketplace's rules and publishes the resulting commands.
///
/// Order matters for "nothing lost, nothing twice": claim the event (so of two matchers given the same event id
/// one matches it; the other waits and then finds it done), publish every command (and its pending log outcome),
/// wait for the confirms, then mark the event processed, then ack. A crash before the mark leaves the claim to run
/// out; the redelivery then publishes the same commands (same ids), whose attempts workers claim once each.
struct EventMatcher: Sendable {
    let rules: RulesCache
    let claims: ClaimLedger
    /// Purchases and completed orders: what makes an order complete once and a prospect moot.
    let purchases: PurchaseLedger
    let products: ProductStore
    let connection: AMQPConnection
    let topology: BrokerTopology
    /// How long a `prospect.created` waits before it fires.
    let prospectDelay: Duration
    let logger: Logger
    /// Bytes of commands and outcomes being built and published at once, over every event in flight: an event
    /// that fires many rules copies itself into each, so the prefetch alone does not bound the memory.
    let publishing = ByteBudget(limit: 64 * 1024 * 1024)
    let serializer = KeyedSerializer()
    let matched = Counter(label: "switchyard_matcher_events_total", dimensions: [("result", "matched")])
    let unmatched = Counter(label: "switchyard_matcher_events_total", dimensions: [("result", "unmatched")])
    let duplicates = Counter(label: "switchyard_matcher_events_total", dimensions: [("result", "duplicate")])
    let commands = Counter(label: "switchyard_matcher_commands_total")

    /// Publications sent at once for one event; bigger fan-outs go out in slices of this many.
    static let publishSlice = 100

    /// One trigger message, already decoded by its consumer (`DeliveryConsumer(reading:)`).
    func handle(_ message: TriggerMessage, _ delivery: AMQPDelivery) async -> DeliveryDisposition {
        var eventLogger = logger
        eventLogger[metadataKey: "event_id"] = "\(message.event.id)"
        eventLogger[metadataKey: "marketplace_id"] = "\(message.marketplaceID)"
        let logger = eventLogger
        let scheduling = message.event.type.isDelayed && !message.isDue
        // A delayed trigger passes twice (scheduled, then due); each pass is claimed under its own key so the due
        // pass is not taken for a duplicate of the first.
        let ledgerID = scheduling ? "\(message.event.id)#scheduled" : message.event.id
        do {
            try await serializer.run(key: message.messageID) {
                // The whole pass again on a transient failure (rules, purchases, orders): it is idempotent, and the
                // claim is this process's already.
                try await retryingTransientFailures(logger: logger, what: "matching an event") {
                    try await process(
                        message, ledgerID: ledgerID, bodySize: delivery.message.body.count, logger: logger)
                }
            }
            return .ack
        } catch {
            if Task.isShuttingDownGracefully || error is CancellationError {
                await claims.release(event: EventLedger.Key(marketplaceID: message.marketplaceID, id: ledgerID))
                logger.info("event left for redelivery", metadata: ["error": "\(error)"])
                return .redeliver
            }
            logger.error("event cannot be processed; dead-lettering it", metadata: ["error": "\(error)"])
            return .deadLetter(reason: ProcessingFailure.describe(error))
        }
    }

    private func process(_ message: TriggerMessage, ledgerID: String, bodySize: Int, logger: Logger) async throws {
        let event = message.event
        let scheduling = event.type.isDelayed && !message.isDue
        var rulesVersion: Int64?
        while rulesVersion == nil {
            let claim = try await retryingTransientFailures(logger: logger, what: "claiming the event") {
                try await claims.claimEvent(marketplaceID: message.marketplaceID, eventID: ledgerID)
            }
            switch claim {
            case .claimed(let version):
                rulesVersion = version
            case .done:
                duplicates.increment()
                return
            case .unknownMarketplace:
                logger.warning("event for an unknown marketplace dropped")
                return
            case .held(let remaining):
                // Another matcher has it (a copy of the same event): wait until it is done or its lease ran out.
                if Task.isShuttingDownGracefully { throw CancellationError() }
                try await Task.sleep(for: min(max(remaining, .milliseconds(100)), .seconds(1)))
            }
        }
        let all = try await rules.rules(marketplaceID: message.marketplaceID, version: rulesVersion ?? 0)
        let matching = Self.matching(all, event: event)
        let occurredAt = event.occurredAt ?? message.receivedAt
        // Test events too: a merchant checking the set-up with a test order expects to find the product.
        try await products.saw(
            marketplaceID: message.marketplaceID, products: Self.namedProducts(of: event), at: occurredAt)
        if event.type.recordsPurchase {
            try await purchases.recordPurchase(
                marketplaceID: message.marketplaceID, eventID: event.id, email: event.customer.email,
                productIDs: event.productIDs, at: occurredAt)
        }
        let now = Date()
        var publishes: [Publication] = []
        if scheduling && matching.isEmpty {
            // Rules in force when the cart was abandoned decide whether the prospect waits at all.
            unmatched.increment()
            publishes += try entries(for: [], message: message, status: .skipped, reason: "no rule matches", at: now)
        } else if scheduling {
            let due = now.addingTimeInterval(TimeInterval(prospectDelay.milliseconds) / 1000)
            let products = event.productIDs.joined(separator: ", ")
            let waiting =
                "waiting until \(RFC3339.string(from: due)); fires unless \(event.customer.email) buys "
                + "\(products) by then"
            publishes += try entries(for: matching, message: message, status: .pending, reason: waiting, at: now)
            publishes.append(
                try topology.publication(ofDue: message, waiting: matching.map(\.rule.id), after: prospectDelay))
        } else if let reason = try await skipReason(message, occurredAt: occurredAt) {
            logger.info("event skipped", metadata: ["reason": "\(reason)"])
            publishes += try entries(for: matching, message: message, status: .skipped, reason: reason, at: now)
            publishes += try closedWaitingEntries(message, matching: matching, at: now)
        } else if matching.isEmpty {
            unmatched.increment()
            // A due trigger closes the entries that waited; any other event gets its one "no rule matches" entry.
            let closed = try closedWaitingEntries(message, matching: matching, at: now)
            if closed.isEmpty {
                publishes += try entries(
                    for: [], message: message, status: .skipped, reason: "no rule matches", at: now)
            } else {
                publishes += closed
            }
        } else {
            matched.increment()
            publishes += try entries(
                for: matching, message: message, status: .pending, reason: "waiting to be performed", at: now)
            for active in matching {
                let command = ActionCommand(
                    commandID: Self.entryID(message, rule: active), marketplaceID: message.marketplaceID, event: event,
                    rule: Self.snapshot(active), createdAt: now)
                publishes.append(try topology.publication(of: command))
            }
            commands.increment(by: matching.count)
            publishes += try closedWaitingEntries(message, matching: matching, at: now)
        }
        // What this event's fan-out holds in memory is bounded with every other event's (a huge rule count for one
        // marketplace waits its turn instead of growing the process).
        let cost = min(publishes.reduce(0) { $0 + $1.message.body.count } + bodySize, 64 * 1024 * 1024)
        await publishing.acquire(cost)
        do {
            var start = 0
            while start < publishes.count {
                let slice = Array(publishes[start..<min(start + Self.publishSlice, publishes.count)])
                try await retryingTransientFailures(logger: logger, what: "publishing commands") {
                    try await connection.publishAll(slice)
                }
                start += slice.count
            }
        } catch {
            await publishing.release(cost)
            throw error
        }
        await publishing.release(cost)
        try await retryingTransientFailures(logger: logger, what: "marking the event processed") {
            try await claims.finishEvent(marketplaceID: message.marketplaceID, eventID: ledgerID)
        }
    }

    /// Why an event that is due must not fire, in words for the merchant: an order completes once, and a
    /// prospect is moot once the customer bought its product.
    private func skipReason(_ message: TriggerMessage, occurredAt: Date) async throws -> String? {
        let event = message.event
        switch event.type {
        case .orderCompleted:
            guard let order = event.order,
                let first = try await purchases.claimOrder(
                    marketplaceID: message.marketplaceID, orderID: order.id, eventID: event.id)
            else { return nil }
            return "order \(order.id) was already completed by event \(first); an order completes only once"
        case .prospectCreated:
            for productID in event.productIDs {
                let bought = try await purchases.bought(
                    marketplaceID: message.marketplaceID, email: event.customer.email, productID: productID,
                    since: occurredAt)
                if bought { return "\(event.customer.email) bought \(productID) after the cart was abandoned" }
            }
            return nil
        default:
            return nil
        }
    }

    /// Skipped outcomes for the pending entries of a due trigger whose rules no longer match (disabled, deleted or
    /// changed while it waited): without them those entries would say "pending" forever.
    private func closedWaitingEntries(
        _ message: TriggerMessage, matching: [ActiveRule], at now: Date
    ) throws -> [Publication] {
        let event = message.event
        let stillMatching = Set(matching.map(\.rule.id))
        return try (message.waitingRuleIDs ?? []).filter { !stillMatching.contains($0) }.map { ruleID in
            try outcomeMessage(
                Outcome(
                    entryID: Self.entryID(message, ruleID: ruleID),
                    marketplaceID: message.marketplaceID, eventID: event.id, trigger: event.type, test: event.isTest,
                    customerEmail: event.customer.email, productID: event.productIDs.first, rule: nil,
                    status: .skipped, reason: "the rule was disabled, changed or deleted while the prospect waited",
                    attemptNumber: 0, attempt: nil, at: now))
        }
    }

    /// One log outcome per matching rule (the entry the rule's action will update), or, when no rule matches,
    /// the event's single entry.
    private func entries(
        for matching: [ActiveRule], message: TriggerMessage, status: LogStatus, reason: String, at now: Date
    ) throws -> [Publication] {
        let event = message.event
        guard !matching.isEmpty else {
            let outcome = Outcome(
                entryID: Identifier.derived(prefix: "log", from: [message.marketplaceID, event.id, "unmatched"]),
                marketplaceID: message.marketplaceID, eventID: event.id, trigger: event.type, test: event.isTest,
                customerEmail: event.customer.email, productID: event.productIDs.first, rule: nil, status: status,
                reason: reason, attemptNumber: 0, attempt: nil, at: now)
            return [try outcomeMessage(outcome)]
        }
        return try matching.map { active in
            try outcomeMessage(
                Outcome(
                    entryID: Self.entryID(message, rule: active), marketplaceID: message.marketplaceID,
                    eventID: event.id, trigger: event.type, test: event.isTest, customerEmail: event.customer.email,
                    productID: active.rule.productID ?? event.productIDs.first, rule: Self.snapshot(active),
                    status: status, reason: reason, attemptNumber: 0, attempt: nil, at: now, event: event))
        }
    }

    /// The log entry (and action command) id of one rule for one event: the same in every pass and every process.
    static func entryID(_ message: TriggerMessage, rule active: ActiveRule) -> String {
        entryID(message, ruleID: active.rule.id)
    }

    /// The same id from a bare rule id, for a rule that may no longer exist.
    static func entryID(_ message: TriggerMessage, ruleID: String) -> String {
        Identifier.derived(prefix: "log", from: [message.marketplaceID, message.event.id, ruleID])
    }

    /// The rule as it is now, carried by the command so later edits do not change an action on its way.
    static func snapshot(_ active: ActiveRule) -> RuleSnapshot {
        RuleSnapshot(
            id: active.rule.id, trigger: active.rule.trigger, productID: active.rule.productID,
            integrationID: active.rule.integrationID, integrationLabel: active.integrationLabel,
            connector: active.connector, action: active.rule.action, destination: active.rule.destination)
    }

    private func outcomeMessage(_ outcome: Outcome) throws -> Publication { try topology.publication(of: outcome) }

    /// The rules an event fires: those whose trigger the event's type fires, global ones for any product and
    /// product ones when their product is the event's product or one of its order's items.
    /// The products an event names, each once, with the name the store sent (the product's, else an item's).
    static func namedProducts(of event: TriggerEvent) -> [(id: String, name: String?)] {
        var named: [(id: String, name: String?)] = []
        for product in [event.product].compactMap(\.self) + (event.order?.items ?? []).map(\.product) {
            if let index = named.firstIndex(where: { $0.id == product.id }) {
                named[index].name = named[index].name ?? product.name
            } else {
                named.append((product.id, product.name))
            }
        }
        return named
    }

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
