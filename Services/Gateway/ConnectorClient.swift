import AMQP
import Foundation
import Logging
import Messages
import Metrics
import Pipeline
import ServiceRuntime
import Storage
import Synchronization

/// Asks connector workers questions over the broker — verify credentials, build an OAuth URL, exchange a code,
/// refresh a catalog — so that vendor code stays in the workers. Request/reply: each request goes to
/// `<prefix>.requests.<connector>` with this process's reply queue and a correlation id, and expires with the
/// timeout, so a request nobody took in time disappears instead of being done late. A caller never waits longer
/// than the timeout: a missing worker is an answer too.
final class ConnectorClient: Sendable {
    /// Why no reply came.
    struct Failure: Error, CustomStringConvertible {
        enum Code: Sendable {
            /// The request could not be put on the broker (not connected, no confirm).
            case brokerUnavailable
            /// Nobody answered within the timeout.
            case noAnswer
        }

        var code: Code
        var connector: String
        var timeout: Duration
        var underlying: (any Error)?

        var description: String {
            switch code {
            case .brokerUnavailable: "broker unavailable for a \(connector) request"
            case .noAnswer: "no \(connector) worker answered within \(Settings.format(timeout))"
            }
        }
    }

    /// Publishes the requests.
    let connection: AMQPConnection
    /// Consumes the replies (a connection of its own, never blocked by the broker).
    let replies: AMQPConnection
    let topology: BrokerTopology
    /// This process's own reply queue (declared with the process's topology).
    let replyQueue: String
    let timeout: Duration
    let publishTimeout: Duration
    let cipher: CredentialCipher
    let logger: Logger
    /// Callers waiting for a reply, by request id (= correlation id).
    private let pending = Mutex<[String: AsyncStream<ConnectorReply>.Continuation]>([:])

    init(
        connections: BrokerConnections, topology: BrokerTopology, replyQueue: String, timeout: Duration,
        publishTimeout: Duration, cipher: CredentialCipher, logger: Logger
    ) {
        self.connection = connections.publishing
        self.replies = connections.consuming
        self.topology = topology
        self.replyQueue = replyQueue
        self.timeout = timeout
        self.publishTimeout = publishTimeout
        self.cipher = cipher
        self.logger = logger
    }

    /// Consumes the reply queue; runs in the process's service group, after the broker connection.
    var replyConsumer: DeliveryConsumer {
        DeliveryConsumer(connection: replies, queue: replyQueue, prefetch: 100) { [self] delivery in
            receive(delivery)
        }
    }

    /// Sends a request and waits for its reply, at most `timeout` in all. The reply may carry the worker's
    /// `error`; interpreting it is the caller's job.
    func ask(_ request: ConnectorRequest) async throws -> ConnectorReply {
        let deadline = ContinuousClock.now + timeout
        let (replies, continuation) = AsyncStream.makeStream(
            of: ConnectorReply.self, bufferingPolicy: .bufferingNewest(1))
        // Registered before publishing: a fast worker may answer before `publish` returns.
        pending.withLock { $0[request.requestID] = continuation }
        defer { pending.withLock { _ = $0.removeValue(forKey: request.requestID) } }
        try await publish(request)
        let reply = await withTaskGroup(of: ConnectorReply?.self) { group in
            group.addTask { await replies.first { _ in true } }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let reply else {
            count(request, result: "no_answer")
            throw Failure(code: .noAnswer, connector: request.connector, timeout: timeout)
        }
        count(request, result: reply.error == nil ? "answered" : "refused")
        return reply
    }

    /// Sends a request without waiting for its reply (a refresh after connecting, so the catalog fills by
    /// itself); the reply, when it comes, is dropped.
    func send(_ request: ConnectorRequest) async throws {
        try await publish(request)
        count(request, result: "sent")
    }

    /// The form credentials travel in between the gateway and the workers: base64 of the sealed JSON.
    func seal(_ credentials: [String: String]) throws -> String {
        try cipher.sealForTransit(credentials: credentials)
    }

    /// Opens credentials a worker sent back.
    func open(_ sealed: String) throws -> [String: String] {
        try cipher.openFromTransit(sealed)
    }

    private func publish(_ request: ConnectorRequest) async throws {
        do {
            let message = AMQPMessage(
                body: try MessageCoding.encode(request), messageID: request.requestID, type: ConnectorRequest.contract,
                correlationID: request.requestID, replyTo: replyQueue, expiration: timeout, persistent: false)
            try await connection.publish(
                message, exchange: topology.requestsExchange, routingKey: request.connector,
                timeout: min(publishTimeout, timeout))
        } catch {
            count(request, result: "broker_unavailable")
            logger.warning(
                "connector request not sent: broker unavailable",
                metadata: [
                    "connector": "\(request.connector)", "operation": "\(request.operation.rawValue)",
                    "error": "\(error)",
                ])
            throw Failure(code: .brokerUnavailable, connector: request.connector, timeout: timeout, underlying: error)
        }
    }

    /// Hands a reply to its waiting caller. Replies are acked at once: they are answers to a live caller or to
    /// nobody, never work to redo.
    private func receive(_ delivery: AMQPDelivery) {
        delivery.ack()
        guard let reply = try? delivery.decoded(as: ConnectorReply.self) else {
            logger.warning(
                "unreadable connector reply dropped", metadata: ["type": "\(delivery.message.type ?? "none")"])
            return
        }
        let id = delivery.message.correlationID ?? reply.requestID
        guard let waiter = pending.withLock({ $0.removeValue(forKey: id) }) else {
            // A reply after its timeout, or to a request sent without waiting.
            logger.debug("connector reply without a waiting caller", metadata: ["request_id": "\(id)"])
            return
        }
        waiter.yield(reply)
        waiter.finish()
    }

    private func count(_ request: ConnectorRequest, result: String) {
        Counter(
            label: "switchyard_gateway_connector_requests_total",
            dimensions: [
                ("connector", request.connector), ("operation", request.operation.rawValue), ("result", result),
            ]
        ).increment()
    }
}
