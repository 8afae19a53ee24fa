import AMQP
import Foundation
import Testing

@Suite("AMQPConnection without a broker")
struct AMQPOfflineTests {
    @Test func publishWhileDisconnectedFailsFast() async throws {
        // Nothing listens on port 1: the connection keeps retrying in the background.
        let configuration = try AMQPConfiguration(url: "amqp://guest:guest@127.0.0.1:1/", connectionName: "nowhere")
        let connection = AMQPConnection(
            configuration: configuration, topology: AMQPTopology(),
            logger: TestBroker.logger)
        let message = AMQPMessage(body: Array("x".utf8), messageID: "offline-1")

        await #expect { try await connection.publish(message, exchange: "", routingKey: "q") } throws: {
            isAMQPError($0, .notConnected)
        }
        try await withRunning(connection, waitForConnection: false) { connection in
            try await Task.sleep(for: .milliseconds(300))
            let start = ContinuousClock.now
            await #expect { try await connection.publish(message, exchange: "", routingKey: "q") } throws: {
                isAMQPError($0, .notConnected)
            }
            #expect(ContinuousClock.now - start < .seconds(1))
            #expect(!connection.isConnected)
            let connected = await connection.waitUntilConnected(timeout: .milliseconds(300))
            #expect(!connected)
        }
        // After shutdown everything reports `.closed` and consumers end immediately.
        await #expect { try await connection.publish(message, exchange: "", routingKey: "q") } throws: {
            isAMQPError($0, .closed)
        }
        var iterator = connection.consume(queue: "q", prefetch: 1).makeAsyncIterator()
        #expect(await iterator.next() == nil)
        await #expect(throws: AMQPError.self) { try await connection.run() }
    }
}
