import Foundation
import Logging
import ServiceLifecycle

/// One connection to RabbitMQ, owned by a dedicated thread. Publishes with windowed publisher confirms and
/// delivers consumed messages; reconnects with backoff and resumes consumption after a broker restart.
///
/// rabbitmq-c is not thread-safe and its calls block, so every C call happens on one Foundation `Thread` per
/// connection; callers hand it commands through a lock-protected queue and are resumed via continuations.
/// Nothing here blocks Swift's cooperative thread pool.
public final class AMQPConnection: Service, Sendable {
    /// State shared with the connection thread.
    private let core: ConnectionCore
    /// Kept for the thread, which is created in `run()`.
    private let configuration: AMQPConfiguration
    /// Declared on every (re)connect.
    private let topology: AMQPTopology
    /// Where connection events are reported.
    private let logger: Logger

    /// Prepares a connection; nothing happens until `run()` (usually via a `ServiceGroup`).
    public init(configuration: AMQPConfiguration, topology: AMQPTopology, logger: Logger) {
        self.configuration = configuration
        self.topology = topology
        self.logger = logger
        self.core = ConnectionCore(logger: logger)
    }

    /// Runs the connection until graceful shutdown or cancellation, then closes it.
    ///
    /// On shutdown, acks queued before it are sent, pending publishes fail with `.closed`, channels and the
    /// connection are closed and all consumer sequences end. Returns once the thread has exited.
    public func run() async throws {
        guard core.start() else {
            throw AMQPError(code: .closed, message: "run() was already called or the connection was shut down")
        }
        let core = self.core
        let configuration = self.configuration
        let topology = self.topology
        let logger = self.logger
        let thread = Thread {
            // The loop and everything it owns live only on this thread.
            let loop = ConnectionLoop(core: core, configuration: configuration, topology: topology, logger: logger)
            loop.run()
            core.threadDidExit()
        }
        thread.name = "amqp-\(configuration.connectionName)"
        thread.start()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await core.waitForThreadExit()
            } onGracefulShutdown: {
                core.requestStop()
            }
        } onCancel: {
            core.requestStop()
        }
    }

    /// Whether the connection is currently open (topology declared, channels ready).
    public var isConnected: Bool { core.isConnected }

    /// Whether the broker has blocked publishing on this connection: between its `connection.blocked` and
    /// `connection.unblocked`. RabbitMQ sends the former when the connection publishes while a memory or disk
    /// alarm is on, and then stops reading it, acks included (so publish and consume on separate connections,
    /// see `consume`). The publish that met the alarm, and any others unconfirmed, fail with `.blocked` as soon
    /// as the notice arrives (milliseconds, not their timeout); later ones fail with `.blocked` at once, without
    /// being sent. A connection that only consumes is never blocked. Reset on reconnect (the broker tells the
    /// new connection again on its first publish while the alarm lasts).
    public var isBlocked: Bool { core.blockedReason != nil }

    /// The broker's reason while `isBlocked` (e.g. "low on memory"), for logs and health reports.
    public var blockedReason: String? { core.blockedReason }

    /// Suspends until connected or the timeout passes; returns whether it is connected.
    public func waitUntilConnected(timeout: Duration) async -> Bool {
        if core.isConnected { return true }
        let core = self.core
        let connected = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await core.waitForConnection() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        return connected || core.isConnected
    }

    /// Publishes a persistent, mandatory message and returns when the broker confirmed it.
    ///
    /// Throws `.notConnected` at once when the connection is down (never waits for a reconnect), `.blocked` at
    /// once while the broker blocks publishing (`isBlocked`; the message was not sent), `.returned`
    /// when no queue is bound for the routing key, `.nacked` when the broker refused it, `.timeout` when no
    /// confirm arrived within `timeout`, `.connectionLost` if the connection dropped before the confirm,
    /// `.protocolError` if the broker closed the publishing channel (e.g. unknown exchange) and `.closed` after
    /// shutdown. Messages without a `messageID` are sent with an internal one (`switchyard-internal-<n>`) so
    /// returns can be matched to their publish; consumers will see that id.
    public func publish(
        _ message: AMQPMessage, exchange: String, routingKey: String,
        timeout: Duration = .seconds(5)
    ) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let core = self.core
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let request = PublishRequest(
                message: message, exchange: exchange, routingKey: routingKey,
                deadline: deadline, continuation: continuation)
            if let error = core.submitPublish(request) {
                continuation.resume(throwing: error)
            }
        }
    }

    /// Starts consuming `queue` with manual acks and the given prefetch; survives reconnections.
    ///
    /// A broker under a resource alarm stops reading a connection as soon as it publishes, acks included. So a
    /// process that both consumes and publishes should use one `AMQPConnection` for each: the consuming one then
    /// keeps acking (and receiving) while the publishing one is blocked.
    ///
    /// May be called before `run()`: the consumer starts as soon as the connection is up. After shutdown the
    /// returned sequence is already finished.
    public func consume(queue: String, prefetch: UInt16) -> AMQPConsumer {
        let core = self.core
        let id = core.makeID()
        let (stream, continuation) = AsyncStream.makeStream(of: AMQPDelivery.self)
        continuation.onTermination = { _ in
            // Also fires after the thread finished the stream; cancelling a finished consumer is a no-op.
            core.enqueue(.cancelConsumer(id: id))
        }
        let registration = ConsumerRegistration(id: id, queue: queue, prefetch: prefetch, continuation: continuation)
        if !core.enqueue(.addConsumer(registration)) {
            continuation.finish()
        }
        return AMQPConsumer(stream: stream, id: id, core: core)
    }
}
