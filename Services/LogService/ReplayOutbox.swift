import AMQP
import Logging
import Messages
import Pipeline
import ServiceLifecycle
import Storage

/// Publishes replays that were queued in the outbox but not published (their request's process died between the
/// commit and the publish, or the broker was away). Publishing one twice is harmless: the worker claims each
/// attempt of a replay once.
struct ReplayOutbox: Service {
    let store: LogStore
    let connection: AMQPConnection
    let topology: BrokerTopology
    let interval: Duration
    let logger: Logger
    /// A replay this old is taken for one whose publisher will not publish it.
    static let grace: Duration = .seconds(10)

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            await pass()
        }
    }

    /// One pass over the outbox.
    func pass() async {
        do {
            for replay in try await store.pendingReplays(queuedBefore: Self.grace) {
                try await connection.publish(
                    topology.publication(
                        ofEncodedCommand: replay.body, completionKey: replay.completionKey, connector: replay.connector)
                )
                try await store.finishReplay(completionKey: replay.completionKey)
                logger.info("queued replay published from the outbox", metadata: ["key": "\(replay.completionKey)"])
            }
        } catch {
            logger.warning("replay outbox pass failed; trying again later", metadata: ["error": "\(error)"])
        }
    }
}
