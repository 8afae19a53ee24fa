import AMQP
import Foundation
import Testing

/// The test broker's TLS listener, whose certificate (for localhost and 127.0.0.1) a throw-away CA signed.
@Suite(
    "AMQPConnection over TLS (amqps)", .serialized,
    .enabled(if: TestBroker.hasTLS, "SWITCHYARD_TEST_AMQPS_URL / SWITCHYARD_TEST_TLS_CA_FILE are not set; skipping"))
struct AMQPTLSTests {
    /// The amqps URL with another host and a query.
    func url(host: String = "localhost", query: String) throws -> String {
        var components = try #require(URLComponents(string: TestBroker.amqpsURL ?? ""))
        components.host = host
        components.percentEncodedQuery = query
        return try #require(components.string)
    }

    @Test func publishesAndConsumesOverVerifiedTLS() async throws {
        let names = TestNames("tls")
        let ca = try #require(TestBroker.caFile)
        let configuration = try TestBroker.configuration("tls", url: url(query: "cacertfile=\(ca)"))
        #expect(configuration.tls?.verifyPeer == true && configuration.tls?.verifyHostname == true)
        let connection = AMQPConnection(
            configuration: configuration, topology: names.topology(),
            logger: TestBroker.logger)
        try await withRunning(connection) { connection in
            try await connection.publish(
                AMQPMessage(body: Array("secret".utf8), messageID: "tls-1"),
                exchange: names.exchange, routingKey: names.routingKey)
            try await withCollector(connection.consume(queue: names.queue, prefetch: 1), ack: true) { collector in
                let deliveries = await collector.wait(for: 1, timeout: .seconds(5))
                #expect(deliveries.map(\.message.body) == [Array("secret".utf8)])
            }
        }
    }

    @Test func anUntrustedOrMisnamedBrokerIsRefused() async throws {
        let ca = try #require(TestBroker.caFile)
        // System CAs only: the test CA is not among them. By address: the check matches DNS names only.
        let refused = [try url(query: ""), try url(host: "127.0.0.1", query: "cacertfile=\(ca)")]
        for url in refused {
            let connection = AMQPConnection(
                configuration: try TestBroker.configuration("tls-refused", url: url),
                topology: AMQPTopology(), logger: TestBroker.logger)
            try await withRunning(connection, waitForConnection: false) { connection in
                #expect(await !connection.waitUntilConnected(timeout: .seconds(2)), "connected to \(url)")
            }
        }
        // Without verification the same address connects: what failed above was the check, not the listener.
        let unverified = try TestBroker.configuration(
            "tls-unverified",
            url: url(host: "127.0.0.1", query: "verify=verify_none"))
        let connection = AMQPConnection(configuration: unverified, topology: AMQPTopology(), logger: TestBroker.logger)
        try await withRunning(connection) { connection in
            #expect(connection.isConnected)
        }
    }
}
