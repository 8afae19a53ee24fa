import AMQP
import Connectors
import ServiceRuntime

/// The exchanges and queues of the pipeline, declared identically by every process (declaring is idempotent,
/// and a queue declared twice with different arguments would be an error, so there is one definition).
///
/// ```
/// store backends ──▶ <p>.ingest (public, any routing key) ──▶ <p>.ingest ──▶ gateway ──▶ <p>.events
///                   gateway ──a refused message no marketplace can be named for──▶ <p>.ingest.rejected (bounded)
/// <p>.events ──trigger──▶ <p>.triggers ──▶ matcher
/// <p>.actions ──<connector>──▶ <p>.actions.<connector> ──▶ connector workers
/// <p>.retry.<delay> ──▶ <p>.retry.<delay> (TTL) ──dead-letter──▶ <p>.actions (same routing key)
/// <p>.outcomes ──outcome──▶ <p>.outcomes ──▶ log service
/// work queues ──after the delivery limit, or a handler's verdict──▶ <p>.dead ──▶ log service (a final log entry)
/// log service ──what it cannot record──▶ <p>.dead.parked (bounded, for an operator)
/// <p>.requests ──<connector>──▶ <p>.requests.<connector> ──▶ connector workers ──reply──▶ <p>.replies.<instance>
/// ```
public struct BrokerTopology: Sendable {
    /// The prefix of every exchange and queue name (`CoreSettings.amqpPrefix`).
    public let prefix: String
    /// The connectors that get an action queue and a request queue.
    public let connectors: [String]

    /// Deliveries of one message before it is dead-lettered: enough for broker restarts and crashed
    /// consumers, few enough that a poison message stops looping.
    public static let deliveryLimit: Int64 = 20
    /// The routing key of trigger messages on the events exchange.
    public static let triggerRoutingKey = "trigger"
    /// The routing key of outcomes on the outcomes exchange.
    public static let outcomeRoutingKey = "outcome"
    /// Every connector the pipeline knows (`ConnectorDescriptor.all`, the one list); each gets its action queue
    /// even before its worker runs.
    public static var knownConnectors: [String] { ConnectorDescriptor.all.map(\.name) }

    /// Creates the topology of names under `prefix`, with queues for the known connectors and `extra` ones (a
    /// connector the pipeline does not know yet, such as a test's).
    public init(prefix: String, extra: [String] = []) {
        self.prefix = prefix
        self.connectors = Self.knownConnectors + extra.filter { !Self.knownConnectors.contains($0) }
    }

    /// The public ingestion exchange (fanout, so the routing key does not matter): the only thing a store
    /// backend's broker user may write to (`IngestContract`).
    public var ingestExchange: String { "\(prefix).ingest" }
    /// The gateway's work queue of published events, bound to the ingestion exchange.
    public var ingestQueue: String { "\(prefix).ingest" }
    /// Published messages refused without a marketplace to log them in, with the reason in a header: kept for an
    /// operator, bounded like the parked queue.
    public var ingestRejectedQueue: String { "\(prefix).ingest.rejected" }
    /// Where the gateway publishes accepted triggers (and delayed ones come back to), for the matcher.
    public var eventsExchange: String { "\(prefix).events" }
    /// The matcher's work queue of trigger messages.
    public var triggersQueue: String { "\(prefix).triggers" }
    /// Where the matcher publishes action commands, routed by the rule's connector name.
    public var actionsExchange: String { "\(prefix).actions" }
    /// The work queue of a connector's action commands, which its workers consume.
    public func actionsQueue(connector: String) -> String { "\(prefix).actions.\(connector)" }
    /// Where the matcher and the workers publish outcomes, for the log service.
    public var outcomesExchange: String { "\(prefix).outcomes" }
    /// The log service's work queue of outcomes.
    public var outcomesQueue: String { "\(prefix).outcomes" }
    /// Where work queues dead-letter their messages (after the delivery limit, or a handler's verdict).
    public var deadExchange: String { "\(prefix).dead" }
    /// Requests from the gateway to connector workers (verify, OAuth, refresh): answered within seconds or not at
    /// all, so their queues are classic, their messages transient and each expires with its caller's timeout.
    public var requestsExchange: String { "\(prefix).requests" }
    /// The queue of a connector's requests from the gateway, which its workers answer.
    public func requestsQueue(connector: String) -> String { "\(prefix).requests.\(connector)" }
    /// A process's own reply queue (published to through the default exchange). It is deleted by the broker a
    /// minute after its process stopped using it, so restarted gateways leave nothing behind.
    public func replyQueue(instance: String) -> AMQPTopology.Queue {
        AMQPTopology.Queue(
            name: "\(prefix).replies.\(instance)",
            arguments: ["x-queue-type": .string("classic"), "x-expires": .int(60_000)])
    }
    /// The queue of dead letters, which the log service turns into final log entries.
    public var deadQueue: String { "\(prefix).dead" }
    /// Dead letters the log service could not attribute to a marketplace or record: kept for an operator (published
    /// through the default exchange), bounded so that it cannot grow without limit.
    public var parkedQueue: String { "\(prefix).dead.parked" }
    /// The most messages the parked queue keeps; the oldest go first.
    public static let parkedLimit: Int64 = 10_000
    /// Where a command waiting `delay` before its retry is published; its queue dead-letters it back to the actions
    /// exchange.
    public func retryExchange(delay: Duration) -> String { "\(prefix).retry.\(Settings.format(delay))" }
    /// Where a trigger that fires later (`prospect.created`) waits; named by its delay, because a queue's TTL
    /// cannot change once declared.
    public func delayedTriggersExchange(delay: Duration) -> String { "\(prefix).delay.\(Settings.format(delay))" }

    /// A durable quorum work queue whose poison messages end in the dead-letter queue.
    private func workQueue(_ name: String) -> AMQPTopology.Queue {
        AMQPTopology.Queue(
            name: name,
            arguments: [
                "x-queue-type": .string("quorum"),
                "x-delivery-limit": .int(Self.deliveryLimit),
                "x-dead-letter-exchange": .string(deadExchange),
                "x-dead-letter-strategy": .string("at-least-once"),
                "x-overflow": .string("reject-publish"),
            ])
    }

    /// The declarations a process needs, including one delay queue per distinct retry delay. The delay queue's
    /// TTL is the longest jittered delay (+20 %); each message carries its own, shorter expiration.
    ///
    /// With `triggerDelay`, also the durable delay queue of triggers that fire later: each waits there for the
    /// delay, then is dead-lettered back to the triggers queue. It lives in the broker, so the wait survives the
    /// restart of every Switchyard process.
    public func amqpTopology(retryDelays: [Duration] = [], triggerDelay: Duration? = nil) -> AMQPTopology {
        var topology = AMQPTopology(
            exchanges: [
                .init(name: ingestExchange, type: .fanout),
                .init(name: eventsExchange, type: .direct),
                .init(name: actionsExchange, type: .direct),
                .init(name: outcomesExchange, type: .direct),
                .init(name: deadExchange, type: .fanout),
                .init(name: requestsExchange, type: .direct),
            ],
            queues: [
                workQueue(ingestQueue), workQueue(triggersQueue), workQueue(outcomesQueue),
                .init(
                    name: ingestRejectedQueue,
                    arguments: ["x-queue-type": .string("quorum"), "x-max-length": .int(Self.parkedLimit)]),
                .init(name: deadQueue, arguments: ["x-queue-type": .string("quorum")]),
                .init(
                    name: parkedQueue,
                    arguments: ["x-queue-type": .string("quorum"), "x-max-length": .int(Self.parkedLimit)]),
            ],
            bindings: [
                .init(queue: ingestQueue, exchange: ingestExchange, routingKey: ""),
                .init(queue: triggersQueue, exchange: eventsExchange, routingKey: Self.triggerRoutingKey),
                .init(queue: outcomesQueue, exchange: outcomesExchange, routingKey: Self.outcomeRoutingKey),
                .init(queue: deadQueue, exchange: deadExchange, routingKey: ""),
            ])
        for connector in connectors {
            let queue = actionsQueue(connector: connector)
            topology.queues.append(workQueue(queue))
            topology.bindings.append(.init(queue: queue, exchange: actionsExchange, routingKey: connector))
            let requests = requestsQueue(connector: connector)
            topology.queues.append(.init(name: requests, arguments: ["x-queue-type": .string("classic")]))
            topology.bindings.append(.init(queue: requests, exchange: requestsExchange, routingKey: connector))
        }
        if let triggerDelay {
            delayQueue(
                delayedTriggersExchange(delay: triggerDelay), ttl: triggerDelay, into: eventsExchange,
                routingKey: Self.triggerRoutingKey, in: &topology)
        }
        var declared = Set<String>()
        for delay in retryDelays where declared.insert(retryExchange(delay: delay)).inserted {
            // The queue keeps a message a little longer than its tier; each message's own expiration decides.
            delayQueue(retryExchange(delay: delay), ttl: delay * 6 / 5, into: actionsExchange, in: &topology)
        }
        return topology
    }

    /// A fanout exchange and its quorum queue of the same name that hold messages for `ttl`, then dead-letter them
    /// (at least once) to `exchange`, with `routingKey` or their own; publishing is refused when it is full.
    private func delayQueue(
        _ name: String, ttl: Duration, into exchange: String, routingKey: String? = nil, in topology: inout AMQPTopology
    ) {
        var arguments: [String: AMQPValue] = [
            "x-queue-type": .string("quorum"),
            "x-message-ttl": .int(ttl.milliseconds),
            "x-dead-letter-exchange": .string(exchange),
            "x-dead-letter-strategy": .string("at-least-once"),
            "x-overflow": .string("reject-publish"),
        ]
        if let routingKey { arguments["x-dead-letter-routing-key"] = .string(routingKey) }
        topology.exchanges.append(.init(name: name, type: .fanout))
        topology.queues.append(.init(name: name, arguments: arguments))
        topology.bindings.append(.init(queue: name, exchange: name, routingKey: ""))
    }
}
