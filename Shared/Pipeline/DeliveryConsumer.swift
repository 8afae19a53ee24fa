import AMQP
import Logging
import ServiceLifecycle

/// What a handler decided about a delivery; the consumer carries it out.
public enum DeliveryDisposition: Sendable {
    /// Done (or a duplicate): acknowledge it.
    case ack
    /// It can never be handled: publish it to the dead-letter exchange with this reason, then acknowledge it.
    case deadLetter(reason: String)
    /// Give it back: left unacknowledged when shutting down (the broker delivers it again once the connection
    /// closes), requeued at once otherwise (an unacked delivery would hold its prefetch slot).
    case redeliver
    /// The handler acknowledged or rejected it itself.
    case handled
}

/// Consumes a queue and runs a handler per delivery, concurrently up to the prefetch and up to a budget of
/// message bytes held at once (the broker bounds the count only), so no tenant's large messages can make a
/// consumer hold more memory than that. On graceful shutdown it cancels the consumer at the broker, lets the
/// handlers in flight finish (and ack), then returns — so the connection, shut down after it, closes only once
/// nothing is left half-done.
public struct DeliveryConsumer: Service {
    /// The default budget of message bytes in the handlers at once.
    public static let defaultMaximumBytes = 32 * 1024 * 1024

    let connection: AMQPConnection
    /// Where dead letters are published: the process's publishing connection.
    let publisher: AMQPConnection
    let queue: String
    let prefetch: UInt16
    let maximumBytes: Int
    /// Where dead letters go (`BrokerTopology.deadExchange`), for `.deadLetter`.
    let deadExchange: String?
    let logger: Logger?
    let handler: @Sendable (AMQPDelivery) async -> DeliveryDisposition

    /// A consumer whose handler decides each delivery's fate; `.deadLetter` needs `deadExchange`.
    public init(
        connection: AMQPConnection, queue: String, prefetch: UInt16, deadExchange: String?,
        publisher: AMQPConnection? = nil, maximumBytes: Int = DeliveryConsumer.defaultMaximumBytes,
        logger: Logger? = nil, handler: @escaping @Sendable (AMQPDelivery) async -> DeliveryDisposition
    ) {
        self.connection = connection
        self.publisher = publisher ?? connection
        self.queue = queue
        self.prefetch = prefetch
        self.maximumBytes = maximumBytes
        self.deadExchange = deadExchange
        self.logger = logger
        self.handler = handler
    }

    /// A consumer whose handler acknowledges each delivery itself.
    public init(
        connection: AMQPConnection, queue: String, prefetch: UInt16,
        handler: @escaping @Sendable (AMQPDelivery) async -> Void
    ) {
        self.init(connection: connection, queue: queue, prefetch: prefetch, deadExchange: nil) { delivery in
            await handler(delivery)
            return .handled
        }
    }

    /// Consumes the queue until graceful shutdown, then waits for the handlers in flight.
    public func run() async throws {
        let consumer = connection.consume(queue: queue, prefetch: prefetch)
        let budget = ByteBudget(limit: maximumBytes)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await delivery in consumer {
                    let size = delivery.message.body.count
                    // Waiting here stops taking deliveries: back-pressure up to the broker's prefetch.
                    await budget.acquire(size)
                    group.addTask {
                        await settle(delivery, as: await handler(delivery))
                        await budget.release(size)
                    }
                }
            }
        } onGracefulShutdown: {
            consumer.cancel()
        }
    }

    private func settle(_ delivery: AMQPDelivery, as disposition: DeliveryDisposition) async {
        switch disposition {
        case .ack: delivery.ack()
        case .handled: break
        case .redeliver:
            // Shutting down: the connection closes and the broker redelivers. Otherwise an unacked delivery on a
            // live connection would hold its prefetch slot for good: give it back now.
            if !Task.isShuttingDownGracefully { delivery.reject(requeue: true) }
        case .deadLetter(let reason):
            guard let deadExchange else {
                delivery.reject(requeue: false)
                return
            }
            var message = delivery.message
            message.headers[DeadLetter.reasonHeader] = .string(String(reason.prefix(1000)))
            message.headers[DeadLetter.queueHeader] = .string(queue)
            message.expiration = nil
            do {
                try await publisher.publish(message, exchange: deadExchange, routingKey: "")
                delivery.ack()
            } catch {
                // Not confirmed: leave it; it comes back and is dead-lettered then.
                logger?.warning("could not dead-letter a message", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// The headers a dead-lettered message carries.
public enum DeadLetter {
    /// Why it could not be processed, in words for the merchant's log.
    public static let reasonHeader = "x-switchyard-reason"
    /// The queue it was taken from.
    public static let queueHeader = "x-switchyard-queue"
}

/// A budget of bytes: `acquire` waits until the bytes fit. One request larger than the whole budget is let through
/// when nothing else is held, so it is handled alone rather than never.
public actor ByteBudget {
    private let limit: Int
    private var used = 0
    private var waiters: [(size: Int, continuation: CheckedContinuation<Void, Never>)] = []

    /// Creates a budget of `limit` bytes (at least 1).
    public init(limit: Int) { self.limit = max(1, limit) }

    /// Waits until `size` bytes fit in the budget, after the requests that waited before, then holds them.
    public func acquire(_ size: Int) async {
        if waiters.isEmpty && (used + size <= limit || used == 0) {
            used += size
            return
        }
        await withCheckedContinuation { waiters.append((size, $0)) }
    }

    /// Gives back `size` bytes acquired before, letting waiting requests through in order.
    public func release(_ size: Int) {
        used -= size
        while let first = waiters.first, used + first.size <= limit || used == 0 {
            waiters.removeFirst()
            used += first.size
            first.continuation.resume()
        }
    }
}
