import AsyncHTTPClient
import ConnectorKit
import Connectors
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// Requests without an answer are classified by the error's type, and read in the log as before.
@Suite struct ConnectorErrorNetworkTests {
    @Test(
        "each network error type becomes its code",
        arguments: [
            (HTTPClientError.deadlineExceeded, ConnectorError.Code.timedOut),
            (HTTPClientError.readTimeout, .timedOut),
            (HTTPClientError.writeTimeout, .timedOut),
            (HTTPClientError.connectTimeout, .timedOut),
            (HTTPClientError.tlsHandshakeTimeout, .timedOut),
            (HTTPClientError.getConnectionFromPoolTimeout, .timedOut),
            (HTTPClientError.remoteConnectionClosed, .unreachable),
            (HTTPClientError.cancelled, .unreachable),
            (HTTPClientError.bodyLengthMismatch, .unreachable),
            (ChannelError.connectTimeout(.seconds(10)), .timedOut),
            (ChannelError.ioOnClosedChannel, .unreachable),
            (ChannelError.eof, .unreachable),
            (IOError(errnoCode: ECONNREFUSED, reason: "connect"), .connectionRefused),
            (IOError(errnoCode: ETIMEDOUT, reason: "connect"), .timedOut),
            (IOError(errnoCode: ECONNRESET, reason: "read"), .unreachable),
            (IOError(errnoCode: EHOSTUNREACH, reason: "connect"), .unreachable),
            (NIOSSLError.uncleanShutdown, .unreachable),
            (NIOSSLError.handshakeFailed(.syscallError), .unreachable),
        ] as [(any Error & Sendable, ConnectorError.Code)])
    func byType(_ error: any Error & Sendable, _ code: ConnectorError.Code) {
        #expect(ConnectorError.networkCode(of: error) == code, "\(error)")
        #expect(ConnectorError(network: error, app: "Mailchimp", timeout: .seconds(10)).code == code)
    }

    @Test("an error's text never decides: one that only says \"refused\" or \"timed out\" is unreachable")
    func textDoesNotDecide() {
        #expect(ConnectorError.networkCode(of: Worded("Connection refused (errno: 111)")) == .unreachable)
        #expect(ConnectorError.networkCode(of: Worded("The operation timed out")) == .unreachable)
    }

    @Test("the sentences the merchant reads")
    func sentences() {
        let slow = ConnectorError(
            network: HTTPClientError.deadlineExceeded, app: "Mailchimp", timeout: .milliseconds(200))
        #expect(slow.message == "Mailchimp did not answer within 0.2 s.")
        #expect(slow.verdict == .transient(retryAfter: nil))
        let slower = ConnectorError(network: HTTPClientError.readTimeout, app: "iContact", timeout: .seconds(10))
        #expect(slower.message == "iContact did not answer within 10 s.")
        let refused = ConnectorError(
            network: IOError(errnoCode: ECONNREFUSED, reason: "connect"), app: "shop.example.com", timeout: .seconds(5))
        #expect(refused.message == "shop.example.com refused the connection (nothing is listening there).")
        let long = String(repeating: "x", count: 200)
        let reset = ConnectorError(network: Worded(long), app: "iContact", timeout: .seconds(5))
        #expect(reset.message == "iContact could not be reached (\(String(repeating: "x", count: 120))).")
        #expect(reset.reply.code == .unavailable)
    }

    @Test("a connection attempt to a closed port is refused, as NIO's Happy Eyeballs reports it")
    func happyEyeballs() async throws {
        let port = try await Self.closedPort()
        let error = await #expect(throws: (any Error).self) {
            _ = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
        }
        let failure = try #require(error)
        #expect(failure is NIOConnectionError, "\(type(of: failure))")
        #expect(ConnectorError.networkCode(of: failure) == .connectionRefused)
    }

    @Test("AsyncHTTPClient's own error for a closed port is refused too (what connectors see)")
    func httpClientRefused() async throws {
        let port = try await Self.closedPort()
        let error = await #expect(throws: (any Error).self) {
            _ = try await HTTPClient.shared.executeBounded(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/"), timeout: .milliseconds(500), maximumBytes: 1024)
        }
        let failure = try #require(error)
        #expect(ConnectorError.networkCode(of: failure) == .connectionRefused, "\(failure)")
        #expect(
            ConnectorError(network: failure, app: "Mailchimp", timeout: .milliseconds(500)).message
                == "Mailchimp refused the connection (nothing is listening there).")
    }

    /// A port nothing listens on: bound once to find a free one, then closed.
    static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
    }
}

/// An error that only has words.
private struct Worded: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
