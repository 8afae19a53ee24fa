import AMQP
import Foundation
import Logging

/// What RabbitMQ alone manages on this machine with the pipeline's kind of traffic: persistent messages of the
/// pipeline's size through a quorum queue, published with windowed confirms and consumed with manual acks, at
/// the same time. The pipeline cannot beat it; its figures are read as shares of it.
struct BrokerCeiling {
    /// Messages through the queue: confirmed publishes and acked deliveries.
    struct Result: Codable, Sendable {
        var messageBytes: Int
        var published: Int
        var consumed: Int
        var publishPerSecond: Double
        /// Confirmed-and-consumed messages per second over the whole phase, drain included: the ceiling.
        var messagesPerSecond: Double
    }

    let amqpURL: String
    let prefix: String
    let publishers: Int
    let logger: Logger

    /// Runs for `duration`, then waits for the consumer to drain the queue. The queue is a throw-away one: it
    /// expires a minute after the run, so repeated runs leave nothing behind.
    func measure(payload: [UInt8], duration: Duration) async throws -> Result {
        let queue = "\(prefix).bench.ceiling.\(UUID().uuidString.prefix(8).lowercased())"
        let topology = AMQPTopology(queues: [
            .init(
                name: queue,
                arguments: [
                    "x-queue-type": .string("quorum"), "x-expires": .int(60_000),
                    "x-overflow": .string("reject-publish"),
                ])
        ])
        let publisher = AMQPConnection(
            configuration: try AMQPConfiguration(url: amqpURL, connectionName: "switchyard-bench-publisher"),
            topology: topology, logger: logger)
        let consumerConnection = AMQPConnection(
            configuration: try AMQPConfiguration(url: amqpURL, connectionName: "switchyard-bench-consumer"),
            topology: topology, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { connections in
            connections.addTask { try await publisher.run() }
            connections.addTask { try await consumerConnection.run() }
            defer { connections.cancelAll() }
            guard await publisher.waitUntilConnected(timeout: .seconds(15)),
                await consumerConnection.waitUntilConnected(timeout: .seconds(15))
            else { throw BenchError("cannot connect to RabbitMQ at the configured SWITCHYARD_AMQP_URL") }
            return try await run(
                queue: queue, payload: payload, duration: duration,
                publisher: publisher, consumerConnection: consumerConnection)
        }
    }

    private func run(
        queue: String, payload: [UInt8], duration: Duration, publisher: AMQPConnection,
        consumerConnection: AMQPConnection
    ) async throws -> Result {
        let published = BenchCounter()
        let consumed = BenchCounter()
        let consumer = consumerConnection.consume(queue: queue, prefetch: 1000)
        let start = ContinuousClock.now
        let stopPublishing = start.advanced(by: duration)
        let (publishEnd, drainEnd) = try await withThrowingTaskGroup(
            of: ContinuousClock.Instant?.self, returning: (ContinuousClock.Instant, ContinuousClock.Instant).self
        ) { group in
            group.addTask {
                for await delivery in consumer {
                    delivery.ack()
                    consumed.increment()
                }
                return nil
            }
            // Enough publishers in flight to keep the wrapper's confirm window full.
            let publishing = try await withThrowingTaskGroup(of: Void.self, returning: ContinuousClock.Instant.self) {
                publishers in
                for _ in 0..<self.publishers {
                    publishers.addTask {
                        var counter = 0
                        while ContinuousClock.now < stopPublishing {
                            counter += 1
                            try await publisher.publish(
                                AMQPMessage(body: payload, messageID: "ceiling-\(counter)", type: "bench"),
                                exchange: "", routingKey: queue, timeout: .seconds(30))
                            published.increment()
                        }
                    }
                }
                try await publishers.waitForAll()
                return ContinuousClock.now
            }
            let total = published.value
            let drainDeadline = ContinuousClock.now.advanced(by: .seconds(60))
            while consumed.value < total, ContinuousClock.now < drainDeadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            let drained = ContinuousClock.now
            consumer.cancel()
            group.cancelAll()
            return (publishing, drained)
        }
        let total = published.value
        let received = consumed.value
        guard received >= total else {
            throw BenchError("the broker ceiling phase published \(total) messages but only \(received) came back")
        }
        return Result(
            messageBytes: payload.count, published: total, consumed: received,
            publishPerSecond: Double(total) / (publishEnd - start).benchSeconds,
            messagesPerSecond: Double(total) / (drainEnd - start).benchSeconds)
    }
}
