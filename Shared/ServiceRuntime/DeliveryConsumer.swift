import AMQP
import Logging
import ServiceLifecycle

/// Consumes a queue and runs a handler per delivery, concurrently up to the prefetch. On graceful shutdown it
/// cancels the consumer at the broker, lets the handlers in flight finish (and ack), then returns — so the
/// connection, shut down after it, closes only once nothing is left half-done.
public struct DeliveryConsumer: Service {
    let connection: AMQPConnection
    let queue: String
    let prefetch: UInt16
    let handler: @Sendable (AMQPDelivery) async -> Void

    public init(connection: AMQPConnection, queue: String, prefetch: UInt16, handler: @escaping @Sendable (AMQPDelivery) async -> Void) {
        self.connection = connection
        self.queue = queue
        self.prefetch = prefetch
        self.handler = handler
    }

    public func run() async throws {
        let consumer = connection.consume(queue: queue, prefetch: prefetch)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await delivery in consumer {
                    group.addTask { await handler(delivery) }
                }
            }
        } onGracefulShutdown: {
            consumer.cancel()
        }
    }
}

/// Retries an operation whose failure is the infrastructure's (database or broker briefly away), with growing
/// pauses, until it succeeds or the process shuts down. Such failures must not count against a message's
/// delivery limit, so the handler keeps the message instead of rejecting it.
public func retryingTransientFailures<T: Sendable>(
    logger: Logger, what: String, _ operation: @Sendable () async throws -> T
) async throws -> T {
    var pause = Duration.milliseconds(100)
    var attempt = 1
    while true {
        do {
            return try await operation()
        } catch {
            try Task.checkCancellation()
            // Shutting down: give the message back (unacked) rather than keep a process alive that was asked to stop.
            if Task.isShuttingDownGracefully { throw error }
            if attempt == 1 || attempt % 20 == 0 {
                logger.warning("\(what) failed; retrying", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
            attempt += 1
        }
    }
}
