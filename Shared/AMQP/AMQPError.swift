/// The one error type of the AMQP module, so callers can branch on `code` (e.g. answer 503 on `.notConnected`)
/// without knowing rabbitmq-c status numbers.
///
/// `description` never contains message bodies: errors end up in logs.
public struct AMQPError: Error, CustomStringConvertible, Sendable {
    /// Stable, comparable error categories; an open set of constants rather than an enum so new codes are not
    /// source-breaking for callers that switch on them.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        /// The code's name, used in logs and in `AMQPError.description`.
        public var description: String { raw }
        /// The connection was not open when the call was made; retry later or answer "unavailable".
        public static let notConnected = Code("notConnected")
        /// The broker blocked publishing on this connection (`connection.blocked`: a memory or disk alarm). The
        /// message was not sent, or, for the publishes in flight when the block began, not confirmed: those may
        /// still be delivered once the alarm clears (as after `.timeout`). Answer "unavailable" and retry after
        /// a while; deliveries keep flowing on connections that only consume.
        public static let blocked = Code("blocked")
        /// The connection dropped while the operation was in flight; its outcome is unknown.
        public static let connectionLost = Code("connectionLost")
        /// The broker refused responsibility for a published message (`basic.nack`).
        public static let nacked = Code("nacked")
        /// The broker could not route a mandatory message to any queue (`basic.return`).
        public static let returned = Code("returned")
        /// No confirm arrived in time; the message may or may not have been accepted.
        public static let timeout = Code("timeout")
        /// The connection was shut down and accepts no more work.
        public static let closed = Code("closed")
        /// The configuration (usually the URL) cannot be used.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// The broker closed a channel or the connection with an error (e.g. unknown exchange).
        public static let protocolError = Code("protocolError")
    }

    /// The category callers branch on.
    public var code: Code
    /// A human-readable explanation for logs; never contains a message body.
    public var message: String
    /// The lower-level cause, when there is one.
    public var underlying: (any Error & Sendable)?

    /// Creates an error; `underlying` keeps the root cause for logging.
    public init(code: Code, message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// `"<code>: <message>"`, safe to log.
    public var description: String { "\(code): \(message)" }
}
