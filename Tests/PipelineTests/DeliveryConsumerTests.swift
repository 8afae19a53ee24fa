import AMQP
import Foundation
import Logging
import Pipeline
import ServiceRuntime
import Testing

/// The consumer every process runs, against the test broker (`deploy/local/test` sets SWITCHYARD_TEST_AMQP_URL).
@Suite("DeliveryConsumer on the test broker")
struct DeliveryConsumerTests {
    static let url = ProcessInfo.processInfo.environment["SWITCHYARD_TEST_AMQP_URL"]

    @Test(
        "a delivery given back (.redeliver) on a live connection comes back and does not hold its prefetch slot",
        .enabled(if: url != nil, "needs SWITCHYARD_TEST_AMQP_URL (deploy/local/test)"),
        .timeLimit(.minutes(1)))
    func givenBackDeliveriesDoNotHoldTheirSlot() async throws {
        let queue = "sy-test-redeliver-\(UUID().uuidString)"
        let logger = Logger(label: "delivery-consumer-tests")
        let connection = AMQPConnection(
            configuration: try AMQPConfiguration(url: try #require(Self.url), connectionName: "redeliver-test"),
            topology: AMQPTopology(queues: [.init(name: queue, arguments: ["x-expires": .int(60_000)])]),
            logger: logger)
        let seen = Deliveries()
        // Prefetch 1: the first delivery of "a" is given back (what a handler does when it cannot finish now).
        // Left unacked on the live connection, it once held the only slot, and "b" never came.
        let consumer = DeliveryConsumer(connection: connection, queue: queue, prefetch: 1, deadExchange: nil) {
            delivery in
            await seen.note(delivery.message.messageID ?? "") == 1 && delivery.message.messageID == "a"
                ? .redeliver : .ack
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await connection.run() }
            group.addTask { try await consumer.run() }
            defer { group.cancelAll() }
            for id in ["a", "b"] {
                let deadline = ContinuousClock.now + .seconds(10)
                while true {
                    do {
                        try await connection.publish(
                            AMQPMessage(body: Array(id.utf8), messageID: id), exchange: "", routingKey: queue)
                        break
                    } catch  where ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(100))  // still connecting
                    }
                }
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while await seen.count("b") == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(await seen.count("a") >= 2, "the delivery given back never came back")
            #expect(await seen.count("b") == 1, "the next delivery waited behind one given back")
        }
    }
}

/// How often each message id was delivered.
private actor Deliveries {
    private var counts: [String: Int] = [:]

    /// Counts one delivery of `id`; returns how many there were so far.
    func note(_ id: String) -> Int {
        counts[id, default: 0] += 1
        return counts[id] ?? 0
    }

    func count(_ id: String) -> Int { counts[id] ?? 0 }
}
