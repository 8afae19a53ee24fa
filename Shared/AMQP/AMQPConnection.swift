// CONTRACT STUB — the AMQP helper replaces the bodies; the public signatures are what the services use.
import Logging
import ServiceLifecycle

/// One connection to RabbitMQ, owned by a dedicated thread. Publishes with windowed publisher confirms and
/// delivers consumed messages; reconnects with backoff and resumes consumption after a broker restart.
public final class AMQPConnection: Service, Sendable {
    public init(configuration: AMQPConfiguration, topology: AMQPTopology, logger: Logger) { fatalError("stub") }
    /// Runs the connection until graceful shutdown or cancellation, then closes it.
    public func run() async throws { fatalError("stub") }
    /// Whether the connection is currently open (topology declared, channels ready).
    public var isConnected: Bool { fatalError("stub") }
    /// Suspends until connected or the timeout passes; returns whether it is connected.
    public func waitUntilConnected(timeout: Duration) async -> Bool { fatalError("stub") }
    /// Publishes a persistent, mandatory message and returns when the broker confirmed it.
    public func publish(_ message: AMQPMessage, exchange: String, routingKey: String, timeout: Duration = .seconds(5)) async throws { fatalError("stub") }
    /// Starts consuming `queue` with manual acks and the given prefetch; survives reconnections.
    public func consume(queue: String, prefetch: UInt16) -> AMQPConsumer { fatalError("stub") }
}

public struct AMQPConsumer: AsyncSequence, Sendable {
    public typealias Element = AMQPDelivery
    public struct AsyncIterator: AsyncIteratorProtocol {
        public mutating func next() async -> AMQPDelivery? { fatalError("stub") }
    }
    public func makeAsyncIterator() -> AsyncIterator { fatalError("stub") }
    /// Asks the broker to stop delivering; the sequence ends once the cancel is confirmed.
    public func cancel() { fatalError("stub") }
}

public struct AMQPDelivery: Sendable {
    public var message: AMQPMessage
    public var exchange: String
    public var routingKey: String
    public var redelivered: Bool
    public var deliveryTag: UInt64
    public func ack() { fatalError("stub") }
    public func reject(requeue: Bool) { fatalError("stub") }
}

public struct AMQPMessage: Sendable {
    public var body: [UInt8]
    public var messageID: String?
    public var type: String?
    public var contentType: String?
    public var correlationID: String?
    public var replyTo: String?
    public var expiration: Duration?
    public var headers: [String: AMQPValue]
    public var persistent: Bool
    public init(body: [UInt8], messageID: String? = nil, type: String? = nil, contentType: String? = "application/json",
                correlationID: String? = nil, replyTo: String? = nil, expiration: Duration? = nil,
                headers: [String: AMQPValue] = [:], persistent: Bool = true) { fatalError("stub") }
}

public enum AMQPValue: Sendable, Hashable {
    case string(String)
    case int(Int64)
    case bool(Bool)
}

public struct AMQPTopology: Sendable {
    public enum ExchangeType: String, Sendable { case direct, fanout, topic, headers }
    public struct Exchange: Sendable {
        public var name: String
        public var type: ExchangeType
        public init(name: String, type: ExchangeType) { fatalError("stub") }
    }
    public struct Queue: Sendable {
        public var name: String
        public var arguments: [String: AMQPValue]
        public init(name: String, arguments: [String: AMQPValue] = [:]) { fatalError("stub") }
    }
    public struct Binding: Sendable {
        public var queue: String
        public var exchange: String
        public var routingKey: String
        public init(queue: String, exchange: String, routingKey: String) { fatalError("stub") }
    }
    public var exchanges: [Exchange]
    public var queues: [Queue]
    public var bindings: [Binding]
    public init(exchanges: [Exchange] = [], queues: [Queue] = [], bindings: [Binding] = []) { fatalError("stub") }
}

public struct AMQPConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String
    public var virtualHost: String
    public var heartbeat: Duration
    public var confirmWindow: Int
    public var connectionName: String
    public var initialBackoff: Duration
    public var maximumBackoff: Duration
    /// Parses `amqp://user:password@host:port/vhost` (vhost percent-decoded; empty path or `%2f` is `/`).
    public init(url: String, connectionName: String) throws(AMQPError) { fatalError("stub") }
}

public struct AMQPError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        public var description: String { raw }
        public static let notConnected = Code("notConnected")
        public static let connectionLost = Code("connectionLost")
        public static let nacked = Code("nacked")
        public static let returned = Code("returned")
        public static let timeout = Code("timeout")
        public static let closed = Code("closed")
        public static let invalidConfiguration = Code("invalidConfiguration")
        public static let protocolError = Code("protocolError")
    }
    public var code: Code
    public var message: String
    public var description: String { fatalError("stub") }
}
