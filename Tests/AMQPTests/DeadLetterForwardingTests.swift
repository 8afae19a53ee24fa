import AMQP
import Foundation
import Testing

/// The broker behaviour Switchyard's retries rely on: a retry waits in a quorum delay queue that dead-letters it
/// back "at least once" when it expires. When the forward cannot be confirmed at first (here: nothing is bound to
/// the target yet; after a broker restart: the target's leader is not known yet), the queue's dead-letter worker
/// keeps the message and sends it again after `dead_letter_worker_publisher_confirm_timeout` — 180 s by default,
/// during which up to 32 such messages stall every later dead letter of that queue. `deploy/rabbitmq/advanced.config`
/// (which deploy/local gives the test broker) sets 5 s: the message must arrive within seconds.
@Suite(.enabled(if: TestBroker.isAvailable, "SWITCHYARD_TEST_AMQP_URL is not set"))
struct DeadLetterForwardingTests {
    @Test("a dead letter whose first forward found no queue is forwarded again within seconds")
    func anUnforwardedDeadLetterIsSentAgainSoon() async throws {
        let id = UUID().uuidString.prefix(8).lowercased()
        let target = "sy-test-dlx-\(id)-target"
        let delay = "sy-test-dlx-\(id)-delay"
        let delayQueue = AMQPTopology(
            exchanges: [.init(name: target, type: .fanout)],
            queues: [
                .init(
                    name: delay,
                    arguments: [
                        "x-queue-type": .string("quorum"), "x-message-ttl": .int(200),
                        "x-dead-letter-exchange": .string(target), "x-dead-letter-strategy": .string("at-least-once"),
                        "x-overflow": .string("reject-publish"), "x-expires": .int(600_000),
                    ])
            ],
            bindings: [])
        let publisher = AMQPConnection(
            configuration: try TestBroker.configuration("dlx-publisher"), topology: delayQueue,
            logger: TestBroker.logger)
        try await withRunning(publisher) { publisher in
            try await publisher.publish(
                AMQPMessage(body: Array("retry".utf8), messageID: "dlx-\(id)"), exchange: "", routingKey: delay)
            // It expires after 200 ms; its dead-letter worker finds no queue bound to the target and keeps it.
            try await Task.sleep(for: .milliseconds(1500))

            let targetQueue = AMQPTopology(
                exchanges: [.init(name: target, type: .fanout)],
                queues: [
                    .init(name: target, arguments: ["x-queue-type": .string("quorum"), "x-expires": .int(600_000)])
                ],
                bindings: [.init(queue: target, exchange: target, routingKey: "")])
            let consumer = AMQPConnection(
                configuration: try TestBroker.configuration("dlx-consumer"), topology: targetQueue,
                logger: TestBroker.logger)
            try await withRunning(consumer) { consumer in
                let started = ContinuousClock.now
                try await withCollector(consumer.consume(queue: target, prefetch: 1), ack: true) { collector in
                    let deliveries = await collector.wait(for: 1, timeout: .seconds(20))
                    #expect(
                        deliveries.map(\.message.messageID) == ["dlx-\(id)"],
                        """
                        the dead letter was not forwarded again within 20 s: the broker runs without \
                        deploy/rabbitmq/advanced.config (dead_letter_worker_publisher_confirm_timeout)
                        """)
                    #expect(ContinuousClock.now - started < .seconds(15))
                }
            }
        }
    }
}
