import AMQP
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@Suite(
    "AMQPConnection against a real broker", .serialized,
    .enabled(if: TestBroker.isAvailable, "SWITCHYARD_TEST_AMQP_URL is not set; skipping broker tests"))
struct AMQPBrokerTests {
    @Test func concurrentPublishesAreConsumedExactlyOnceWithProperties() async throws {
        let names = TestNames("bulk")
        let connection = AMQPConnection(
            configuration: try TestBroker.configuration(),
            topology: names.topology(queueType: "quorum"), logger: TestBroker.logger)
        let total = 2000
        let workers = 40
        try await withRunning(connection) { connection in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        for index in stride(from: worker, to: total, by: workers) {
                            let message = AMQPMessage(
                                body: Array("message \(index)".utf8), messageID: "m-\(index)", type: "test.bulk",
                                correlationID: "c-\(index)", replyTo: "replies",
                                headers: [
                                    "index": .int(Int64(index)), "label": .string("n\(index)"),
                                    "even": .bool(index % 2 == 0),
                                ])
                            try await connection.publish(
                                message, exchange: names.exchange,
                                routingKey: names.routingKey)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let consumer = connection.consume(queue: names.queue, prefetch: 50)
            try await withCollector(consumer, ack: true) { collector in
                _ = await collector.wait(for: total, timeout: .seconds(30))
                try await Task.sleep(for: .milliseconds(500))  // room for duplicates to show up
                let deliveries = collector.deliveries
                #expect(deliveries.count == total)
                var seen = Set<Int>()
                var mismatches = 0
                for delivery in deliveries {
                    let message = delivery.message
                    let id = try #require(message.messageID)
                    let index = try #require(Int(id.dropFirst(2)))
                    #expect(seen.insert(index).inserted, "duplicate delivery of \(id)")
                    let expectedHeaders: [String: AMQPValue] = [
                        "index": .int(Int64(index)), "label": .string("n\(index)"), "even": .bool(index % 2 == 0),
                    ]
                    if message.body != Array("message \(index)".utf8) || message.type != "test.bulk"
                        || message.contentType != "application/json" || message.correlationID != "c-\(index)"
                        || message.replyTo != "replies" || !message.persistent || message.headers != expectedHeaders
                        || delivery.exchange != names.exchange || delivery.routingKey != names.routingKey
                        || delivery.redelivered
                    {
                        mismatches += 1
                    }
                }
                #expect(mismatches == 0, "deliveries whose body or properties changed in transit")
                #expect(seen == Set(0..<total))
            }
        }
    }

    @Test func unroutableIsReturnedAndUnknownExchangeFailsThenRecovers() async throws {
        let names = TestNames("return")
        let connection = AMQPConnection(
            configuration: try TestBroker.configuration(), topology: names.topology(),
            logger: TestBroker.logger)
        try await withRunning(connection) { connection in
            let message = AMQPMessage(body: Array("{}".utf8), messageID: "r-1")
            await #expect {
                try await connection.publish(message, exchange: names.exchange, routingKey: "nobody-listens")
            } throws: { isAMQPError($0, .returned) }

            // Without a message id the internal one still lets the return find its publish.
            let anonymous = AMQPMessage(body: Array("{}".utf8))
            await #expect {
                try await connection.publish(anonymous, exchange: names.exchange, routingKey: "nobody-listens")
            } throws: { isAMQPError($0, .returned) }

            // A routable publish with the same id right after is confirmed normally.
            try await connection.publish(message, exchange: names.exchange, routingKey: names.routingKey)

            await #expect {
                try await connection.publish(
                    message, exchange: "sy-test-missing-\(UUID().uuidString)",
                    routingKey: names.routingKey)
            } throws: { isAMQPError($0, .protocolError) }
            try await connection.publish(message, exchange: names.exchange, routingKey: names.routingKey)
            #expect(connection.isConnected)

            let consumer = connection.consume(queue: names.queue, prefetch: 10)
            try await withCollector(consumer, ack: true) { collector in
                let deliveries = await collector.wait(for: 2, timeout: .seconds(5))
                #expect(deliveries.count == 2)
            }
        }
    }

    @Test func nackedAndTimedOutPublishesThrow() async throws {
        let names = TestNames("nack")
        // A queue that refuses every message makes the broker nack the publish.
        let topology = AMQPTopology(
            exchanges: [.init(name: names.exchange, type: .direct)],
            queues: [
                .init(
                    name: names.queue,
                    arguments: [
                        "x-max-length": .int(0), "x-overflow": .string("reject-publish"), "x-expires": .int(600_000),
                    ])
            ],
            bindings: [.init(queue: names.queue, exchange: names.exchange, routingKey: names.routingKey)])
        let connection = AMQPConnection(
            configuration: try TestBroker.configuration(), topology: topology,
            logger: TestBroker.logger)
        try await withRunning(connection) { connection in
            let message = AMQPMessage(body: Array("{}".utf8), messageID: "n-1")
            await #expect {
                try await connection.publish(message, exchange: names.exchange, routingKey: names.routingKey)
            } throws: { isAMQPError($0, .nacked) }

            // A deadline that has already passed can never be met.
            await #expect {
                try await connection.publish(message, exchange: "", routingKey: names.queue, timeout: .zero)
            } throws: { isAMQPError($0, .timeout) }
            // The connection is unaffected and confirm tracking still lines up.
            await #expect {
                try await connection.publish(message, exchange: names.exchange, routingKey: names.routingKey)
            } throws: { isAMQPError($0, .nacked) }
            #expect(connection.isConnected)
        }
    }

    @Test func rejectedAndUnackedMessagesAreRedelivered() async throws {
        let names = TestNames("redeliver")
        let topology = names.topology()
        let first = AMQPConnection(
            configuration: try TestBroker.configuration(), topology: topology,
            logger: TestBroker.logger)
        try await withRunning(first) { connection in
            try await connection.publish(
                AMQPMessage(body: Array("again".utf8), messageID: "again-1"),
                exchange: names.exchange, routingKey: names.routingKey)
            let consumer = connection.consume(queue: names.queue, prefetch: 1)
            try await withCollector(consumer, ack: false) { collector in
                let initial = try #require(await collector.wait(for: 1, timeout: .seconds(5)).first)
                #expect(!initial.redelivered)
                initial.reject(requeue: true)
                let deliveries = await collector.wait(for: 2, timeout: .seconds(5))
                try #require(deliveries.count == 2)
                #expect(deliveries[1].redelivered)
                #expect(deliveries[1].message.messageID == "again-1")
                #expect(deliveries[1].message.body == Array("again".utf8))
                // Left unacked: closing the connection must hand it back to the queue.
            }
        }
        let second = AMQPConnection(
            configuration: try TestBroker.configuration(), topology: topology,
            logger: TestBroker.logger)
        try await withRunning(second) { connection in
            let consumer = connection.consume(queue: names.queue, prefetch: 1)
            try await withCollector(consumer, ack: true) { collector in
                let deliveries = await collector.wait(for: 1, timeout: .seconds(5))
                try #require(deliveries.count == 1)
                #expect(deliveries[0].redelivered)
                #expect(deliveries[0].message.messageID == "again-1")
            }
        }
    }

    @Test func acksInAnyOrderSettleExactlyTheAckedDeliveries() async throws {
        // Acks of consecutive deliveries are coalesced into one `multiple` ack; one that is still being handled
        // (here: never acked) must not be swept up with them, whatever the order the others finish in.
        let names = TestNames("ackorder")
        let topology = names.topology()
        let total = 40
        let held = [0, 17, 39]
        let first = AMQPConnection(
            configuration: try TestBroker.configuration(), topology: topology,
            logger: TestBroker.logger)
        try await withRunning(first) { connection in
            for index in 0..<total {
                try await connection.publish(
                    AMQPMessage(body: Array("m\(index)".utf8), messageID: "m-\(index)"),
                    exchange: names.exchange, routingKey: names.routingKey)
            }
            let consumer = connection.consume(queue: names.queue, prefetch: UInt16(total))
            try await withCollector(consumer, ack: false) { collector in
                let deliveries = await collector.wait(for: total, timeout: .seconds(5))
                try #require(deliveries.count == total)
                // Newest first, in small groups, so acks arrive both out of order and several per loop turn.
                for (offset, delivery) in deliveries.enumerated().reversed()
                where !held.contains(Int(delivery.message.messageID?.dropFirst(2) ?? "") ?? -1) {
                    delivery.ack()
                    if offset % 5 == 0 { try await Task.sleep(for: .milliseconds(20)) }
                }
                try await Task.sleep(for: .milliseconds(300))  // let the acks reach the broker
            }
        }
        let second = AMQPConnection(
            configuration: try TestBroker.configuration(), topology: topology,
            logger: TestBroker.logger)
        try await withRunning(second) { connection in
            let consumer = connection.consume(queue: names.queue, prefetch: UInt16(total))
            try await withCollector(consumer, ack: true) { collector in
                _ = await collector.wait(for: held.count, timeout: .seconds(5))
                try await Task.sleep(for: .milliseconds(300))  // room for wrongly unsettled ones to show up
                let redelivered = collector.deliveries.compactMap(\.message.messageID).sorted()
                #expect(redelivered == held.map { "m-\($0)" }.sorted())
            }
        }
    }

    @Test func cancelEndsTheConsumer() async throws {
        let names = TestNames("cancel")
        let connection = AMQPConnection(
            configuration: try TestBroker.configuration(), topology: names.topology(),
            logger: TestBroker.logger)
        // Registered before the connection runs: must start once connected.
        let consumer = connection.consume(queue: names.queue, prefetch: 5)
        let collector = Collector()
        try await withRunning(connection) { connection in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await collector.run(consumer, ack: true) }
                try await connection.publish(
                    AMQPMessage(body: [1], messageID: "c-1"), exchange: names.exchange,
                    routingKey: names.routingKey)
                #expect(await collector.wait(for: 1, timeout: .seconds(5)).count == 1)
                consumer.cancel()
                #expect(await collector.waitUntilFinished(timeout: .seconds(5)))
                // After the cancel the message stays in the queue for someone else.
                try await connection.publish(
                    AMQPMessage(body: [2], messageID: "c-2"), exchange: names.exchange,
                    routingKey: names.routingKey)
                let other = connection.consume(queue: names.queue, prefetch: 5)
                try await withCollector(other, ack: true) { second in
                    let deliveries = await second.wait(for: 1, timeout: .seconds(5))
                    #expect(deliveries.map(\.message.messageID) == ["c-2"])
                }
                try await group.waitForAll()
            }
        }
        #expect(collector.deliveries.count == 1)
    }

    @Test(.enabled(if: TestBroker.canRestart, "SWITCHYARD_TEST_BROKER_STOP/START are not set; skipping reconnection"))
    func reconnectsAndResumesConsumingAfterBrokerRestart() async throws {
        let names = TestNames("reconnect")
        let connection = AMQPConnection(
            configuration: try TestBroker.configuration("reconnect"),
            topology: names.topology(), logger: TestBroker.logger)
        try await withRunning(connection) { connection in
            let consumer = connection.consume(queue: names.queue, prefetch: 10)
            try await withCollector(consumer, ack: true) { collector in
                try await connection.publish(
                    AMQPMessage(body: Array("before".utf8), messageID: "before"),
                    exchange: names.exchange, routingKey: names.routingKey)
                #expect(await collector.wait(for: 1, timeout: .seconds(5)).count == 1)

                try TestBroker.shell(TestBroker.stopCommand ?? "false")
                do {
                    let deadline = ContinuousClock.now.advanced(by: .seconds(15))
                    while connection.isConnected && ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    #expect(!connection.isConnected, "the connection did not notice the broker going away")
                    let start = ContinuousClock.now
                    await #expect {
                        try await connection.publish(
                            AMQPMessage(body: [0], messageID: "during"),
                            exchange: names.exchange, routingKey: names.routingKey)
                    } throws: { isAMQPError($0, .notConnected, .connectionLost) }
                    #expect(ContinuousClock.now - start < .seconds(1))
                } catch {
                    try? TestBroker.shell(TestBroker.startCommand ?? "false")
                    throw error
                }
                try TestBroker.shell(TestBroker.startCommand ?? "false")

                let reconnected = await connection.waitUntilConnected(timeout: .seconds(30))
                try #require(reconnected)
                try await connection.publish(
                    AMQPMessage(body: Array("after".utf8), messageID: "after"),
                    exchange: names.exchange, routingKey: names.routingKey)
                let deliveries = await collector.wait(for: 2, timeout: .seconds(10))
                #expect(deliveries.map(\.message.messageID) == ["before", "after"])
                #expect(!collector.finished)
            }
        }
    }

    @Test func heartbeatsAreServicedWhileAHandlerIsSlow() async throws {
        let names = TestNames("heartbeat")
        var configuration = try TestBroker.configuration("heartbeat")
        configuration.heartbeat = .seconds(1)
        let connection = AMQPConnection(
            configuration: configuration, topology: names.topology(),
            logger: TestBroker.logger)
        let dropped = Flag(false)
        try await withRunning(connection) { connection in
            try await connection.publish(
                AMQPMessage(body: Array("slow".utf8), messageID: "slow-1"),
                exchange: names.exchange, routingKey: names.routingKey)
            let consumer = connection.consume(queue: names.queue, prefetch: 1)
            try await withThrowingTaskGroup(of: Void.self) { group in
                let watching = Flag(true)
                group.addTask {
                    while watching.isSet {
                        if !connection.isConnected { dropped.set(true) }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                var iterator = consumer.makeAsyncIterator()
                let delivery = try #require(await iterator.next())
                try await Task.sleep(for: .seconds(5))  // the "handler" is busy for 5 heartbeat intervals
                delivery.ack()
                try await Task.sleep(for: .milliseconds(300))
                watching.set(false)
                try await group.waitForAll()
            }
            consumer.cancel()
        }
        #expect(!dropped.isSet, "the connection dropped while the handler was busy")

        let verifier = AMQPConnection(
            configuration: try TestBroker.configuration(), topology: names.topology(),
            logger: TestBroker.logger)
        try await withRunning(verifier) { connection in
            try await withCollector(connection.consume(queue: names.queue, prefetch: 1), ack: true) { collector in
                let deliveries = await collector.wait(for: 1, timeout: .seconds(2))
                #expect(deliveries.isEmpty, "the slow handler's ack was lost and the message redelivered")
            }
        }
    }

    @Test func gracefulShutdownFlushesAcksOfInFlightHandlers() async throws {
        let names = TestNames("graceful")
        let count = 5
        let publisher = AMQPConnection(
            configuration: try TestBroker.configuration(), topology: names.topology(),
            logger: TestBroker.logger)
        try await withRunning(publisher) { connection in
            for index in 0..<count {
                try await connection.publish(
                    AMQPMessage(body: [UInt8(index)], messageID: "g-\(index)"),
                    exchange: names.exchange, routingKey: names.routingKey)
            }
        }

        let connection = AMQPConnection(
            configuration: try TestBroker.configuration("graceful"),
            topology: names.topology(), logger: TestBroker.logger)
        let service = SlowAckingService(connection: connection, queue: names.queue)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: connection), .init(service: service)], logger: TestBroker.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now.advanced(by: .seconds(10))
            while service.received.current < count && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            try #require(service.received.current == count)
            #expect(service.acked.current == 0, "handlers should still be in flight")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(service.acked.current == count)
        #expect(!connection.isConnected)

        let verifier = AMQPConnection(
            configuration: try TestBroker.configuration(), topology: names.topology(),
            logger: TestBroker.logger)
        try await withRunning(verifier) { connection in
            try await withCollector(connection.consume(queue: names.queue, prefetch: 10), ack: true) { collector in
                let deliveries = await collector.wait(for: 1, timeout: .seconds(2))
                #expect(deliveries.isEmpty, "acks of in-flight handlers were lost at shutdown")
            }
        }
    }

    @Test func throughput() async throws {
        let names = TestNames("throughput")
        let connection = AMQPConnection(
            configuration: try TestBroker.configuration("throughput"),
            topology: names.topology(), logger: TestBroker.logger)
        let total = 20_000
        let publishers = 500
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
        try await withRunning(connection) { connection in
            let publishStart = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<publishers {
                    group.addTask {
                        for index in stride(from: worker, to: total, by: publishers) {
                            try await connection.publish(
                                AMQPMessage(body: body, messageID: "t-\(index)"),
                                exchange: names.exchange, routingKey: names.routingKey,
                                timeout: .seconds(60))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let publishTime = ContinuousClock.now - publishStart

            let consumeStart = ContinuousClock.now
            let consumer = connection.consume(queue: names.queue, prefetch: 500)
            let received = try await withCollector(consumer, ack: true) { collector in
                await collector.wait(for: total, timeout: .seconds(120)).count
            }
            let consumeTime = ContinuousClock.now - consumeStart
            #expect(received == total)
            print(
                "AMQP throughput: published+confirmed \(total) persistent 1 KB messages in \(publishTime) "
                    + "= \(rate(total, publishTime)) msg/s; consumed+acked \(received) in \(consumeTime) "
                    + "= \(rate(received, consumeTime)) msg/s")
        }
    }

    private func rate(_ count: Int, _ duration: Duration) -> Int {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds > 0 ? Int(Double(count) / seconds) : 0
    }
}

/// A consumer service like the real ones: handlers run concurrently, and on graceful shutdown it stops taking
/// deliveries but lets in-flight handlers finish and ack.
struct SlowAckingService: Service {
    let connection: AMQPConnection
    let queue: String
    let received = Counter()
    let acked = Counter()

    func run() async throws {
        let consumer = connection.consume(queue: queue, prefetch: 10)
        let received = self.received
        let acked = self.acked
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for await delivery in consumer {
                    received.increment()
                    group.addTask {
                        try? await Task.sleep(for: .seconds(1))
                        delivery.ack()
                        acked.increment()
                    }
                }
                await group.waitForAll()
            }
        } onGracefulShutdown: {
            consumer.cancel()
        }
    }
}
