import AMQP
import Foundation
import Synchronization
import Testing

/// A memory alarm on the test broker (`rabbitmqctl set_vm_memory_high_watermark 0.0000001`): RabbitMQ sends
/// `connection.blocked` and stops reading every connection that publishes, until the alarm clears.
@Suite(
    "AMQPConnection while the broker blocks publishers", .serialized,
    .enabled(if: TestBroker.canRaiseAlarms, "SWITCHYARD_TEST_RABBITMQCTL is not set; skipping resource alarm tests"))
struct AMQPBlockedBrokerTests {
    @Test func publishesFailAtOnceWhileBlockedAndAConsumingConnectionKeepsAcking() async throws {
        let names = TestNames("blocked")
        let total = 30
        let publisher = AMQPConnection(
            configuration: try TestBroker.configuration("blocked-publisher"),
            topology: names.topology(), logger: TestBroker.logger)
        let consumer = AMQPConnection(
            configuration: try TestBroker.configuration("blocked-consumer"),
            topology: names.topology(), logger: TestBroker.logger)
        try await withRunning(publisher) { publisher in
            try await withRunning(consumer) { consumer in
                for index in 0..<total {
                    try await publisher.publish(
                        AMQPMessage(body: Array("m\(index)".utf8), messageID: "b-\(index)"),
                        exchange: names.exchange, routingKey: names.routingKey)
                }
                #expect(!publisher.isBlocked)
                try await TestBroker.withMemoryAlarm {
                    // The broker blocks a connection when it publishes during the alarm: the first publish meets
                    // it, and must fail within a second, not after its five-second timeout.
                    let probed = ContinuousClock.now
                    await #expect {
                        try await publisher.publish(
                            AMQPMessage(body: [0], messageID: "probe"),
                            exchange: names.exchange, routingKey: names.routingKey,
                            timeout: .seconds(5))
                    } throws: { isAMQPError($0, .blocked) }
                    #expect(ContinuousClock.now - probed < .seconds(1))
                    try #require(publisher.isBlocked, "no connection.blocked from the broker")
                    #expect(publisher.blockedReason?.contains("memory") == true, "\(publisher.blockedReason ?? "")")
                    #expect(publisher.isConnected)
                    #expect(!consumer.isBlocked, "a connection that never published is not blocked")

                    let start = ContinuousClock.now
                    await #expect {
                        try await publisher.publish(
                            AMQPMessage(body: [1], messageID: "during"),
                            exchange: names.exchange, routingKey: names.routingKey)
                    } throws: { isAMQPError($0, .blocked) }
                    #expect(ContinuousClock.now - start < .milliseconds(200))

                    // Prefetch 5 of 30: the broker only delivers the rest if the acks reach it.
                    try await withCollector(consumer.consume(queue: names.queue, prefetch: 5), ack: true) { collector in
                        let deliveries = await collector.wait(for: total, timeout: .seconds(10))
                        #expect(Set(deliveries.compactMap(\.message.messageID)) == Set((0..<total).map { "b-\($0)" }))
                        let settled = try await eventually(timeout: .seconds(5)) {
                            try TestBroker.messageCount(queue: names.queue) == 0
                        }
                        #expect(settled, "the consuming connection's acks did not reach the blocked broker")
                    }
                    #expect(publisher.isBlocked, "the alarm should still be on")
                }
                let unblocked = try await eventually(timeout: .seconds(10)) { !publisher.isBlocked }
                try #require(unblocked, "no connection.unblocked after the alarm cleared")
                try await publisher.publish(
                    AMQPMessage(body: [2], messageID: "after"), exchange: names.exchange,
                    routingKey: names.routingKey)
            }
        }
    }

    @Test func aBurstInFlightWhenTheAlarmGoesOffNeverHangsTheConnectionThread() async throws {
        // Publishers stream 1 MB messages when the alarm goes off: the broker stops reading mid-stream, with
        // megabytes still to write. The connection thread must go on reading frames (to see `connection.blocked`)
        // and enforcing deadlines instead of waiting in a write for the broker to read again.
        let names = TestNames("burst")
        let topology = AMQPTopology(queues: [
            .init(
                name: names.queue,
                arguments: [
                    "x-max-length": .int(2), "x-expires": .int(600_000),
                ])
        ])
        let publisher = AMQPConnection(
            configuration: try TestBroker.configuration("burst-publisher"),
            topology: topology, logger: TestBroker.logger)
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 1024 * 1024)
        let timeout = Duration.seconds(2)
        let outcomes = Outcomes()
        try await withRunning(publisher) { publisher in
            let stop = Flag(false)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<48 {
                    group.addTask {
                        while !stop.isSet {
                            let start = ContinuousClock.now
                            do {
                                try await publisher.publish(
                                    AMQPMessage(body: body, persistent: false), exchange: "",
                                    routingKey: names.queue, timeout: timeout)
                                outcomes.record("confirmed", ContinuousClock.now - start)
                            } catch let error as AMQPError {
                                outcomes.record("\(error.code)", ContinuousClock.now - start)
                                if error.code == .blocked { try await Task.sleep(for: .milliseconds(50)) }
                            }
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(700))
                try await TestBroker.withMemoryAlarm {
                    let blocked = try await eventually(timeout: .seconds(5)) { publisher.isBlocked }
                    #expect(blocked, "the connection thread never saw connection.blocked")
                    // Long enough for every publish sent before the block to reach its deadline.
                    try await Task.sleep(for: timeout + .seconds(1))
                    stop.set(true)
                    try await group.waitForAll()
                    let start = ContinuousClock.now
                    await #expect {
                        try await publisher.publish(AMQPMessage(body: [1]), exchange: "", routingKey: names.queue)
                    } throws: { isAMQPError($0, .blocked) }
                    #expect(ContinuousClock.now - start < .milliseconds(200))
                }
            }
            let summary = outcomes.summary
            print("burst under a memory alarm: \(summary.counts), slowest publish \(summary.slowest)")
            #expect(summary.counts["confirmed", default: 0] > 0, "nothing was published before the alarm")
            #expect(summary.counts["blocked", default: 0] > 0, "no publish failed fast with .blocked")
            #expect(summary.slowest < timeout + .seconds(1), "a publish outlived its deadline")
            let unblocked = try await eventually(timeout: .seconds(10)) { !publisher.isBlocked }
            try #require(unblocked)
            try await publisher.publish(
                AMQPMessage(body: [2]), exchange: "", routingKey: names.queue,
                timeout: .seconds(10))
        }
    }
}

/// A peer that stops reading without `connection.blocked` (an older broker, a stalled proxy or network path).
@Suite(
    "AMQPConnection when the peer stops reading", .serialized,
    .enabled(if: TestBroker.isAvailable, "SWITCHYARD_TEST_AMQP_URL is not set; skipping broker tests"))
struct AMQPStalledPeerTests {
    @Test func publishDeadlinesHoldWhenThePeerStopsReading() async throws {
        // 32 MB to write into a socket nobody reads: far more than the kernel buffers on both sides of the
        // proxy hold. The connection thread must write only what fits, keep serving deadlines (publishes fail
        // with `.timeout` after 2 s, not never) and carry on once the peer reads again.
        let names = TestNames("stall")
        let proxy = try StallingProxy(targetPort: try TestBroker.configuration().port)
        defer { proxy.stop() }
        var configuration = try TestBroker.configuration("stall", url: "amqp://guest:guest@127.0.0.1:\(proxy.port)/")
        configuration.heartbeat = .seconds(30)  // the broker must not drop the stalled connection meanwhile
        let topology = AMQPTopology(queues: [
            .init(
                name: names.queue,
                arguments: [
                    "x-max-length": .int(2), "x-expires": .int(600_000),
                ])
        ])
        let connection = AMQPConnection(configuration: configuration, topology: topology, logger: TestBroker.logger)
        let body = [UInt8](repeating: UInt8(ascii: "s"), count: 1024 * 1024)
        let timeout = Duration.seconds(2)
        let outcomes = Outcomes()
        let finished = Counter()
        try await withRunning(connection) { connection in
            try await connection.publish(AMQPMessage(body: [0]), exchange: "", routingKey: names.queue)
            proxy.pause()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        let start = ContinuousClock.now
                        do {
                            try await connection.publish(
                                AMQPMessage(body: body, persistent: false), exchange: "",
                                routingKey: names.queue, timeout: timeout)
                            outcomes.record("confirmed", ContinuousClock.now - start)
                        } catch let error as AMQPError {
                            outcomes.record("\(error.code)", ContinuousClock.now - start)
                        }
                        finished.increment()
                    }
                }
                let done = try await eventually(timeout: timeout + .seconds(2)) { finished.current == 32 }
                // Let a stuck thread go before failing, so the test ends either way.
                proxy.resume()
                try await group.waitForAll()
                #expect(done, "publishes outlived their deadline: the connection thread was stuck in a write")
            }
            let summary = outcomes.summary
            print("32 x 1 MB to a peer that stopped reading: \(summary.counts), slowest \(summary.slowest)")
            #expect(summary.counts["timeout", default: 0] == 32)
            #expect(connection.isConnected)
            try await connection.publish(
                AMQPMessage(body: [1]), exchange: "", routingKey: names.queue,
                timeout: .seconds(10))
        }
    }
}

/// Publish outcomes by error code (or "confirmed"), and the slowest call.
final class Outcomes: Sendable {
    private let state = Mutex<(counts: [String: Int], slowest: Duration)>(([:], .zero))

    func record(_ outcome: String, _ duration: Duration) {
        state.withLock { state in
            state.counts[outcome, default: 0] += 1
            state.slowest = max(state.slowest, duration)
        }
    }

    var summary: (counts: [String: Int], slowest: Duration) { state.withLock { $0 } }
}
