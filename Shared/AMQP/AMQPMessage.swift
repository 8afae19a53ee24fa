/// A message as published or received, with the AMQP basic properties Switchyard relies on for routing,
/// deduplication (`messageID`) and dispatch (`type`).
public struct AMQPMessage: Sendable {
    /// The payload, opaque to this module.
    public var body: [UInt8]
    /// Identifies the message for deduplication and for correlating `basic.return`s.
    public var messageID: String?
    /// The application-level message type, used by consumers to pick a decoder.
    public var type: String?
    /// The MIME type of `body`.
    public var contentType: String?
    /// Ties a reply to its request.
    public var correlationID: String?
    /// Where a reply should be sent.
    public var replyTo: String?
    /// The user that published it. The broker refuses a publish whose `user_id` is not the connection's user, so a
    /// consumer can trust it to name the publisher.
    public var userID: String?
    /// Per-message TTL; sent as whole milliseconds.
    public var expiration: Duration?
    /// Application headers.
    public var headers: [String: AMQPValue]
    /// Whether the broker should write the message to disk (delivery mode 2).
    public var persistent: Bool

    /// Creates a message; defaults fit Switchyard's JSON events, which must survive a broker restart.
    public init(
        body: [UInt8], messageID: String? = nil, type: String? = nil, contentType: String? = "application/json",
        correlationID: String? = nil, replyTo: String? = nil, userID: String? = nil,
        expiration: Duration? = nil, headers: [String: AMQPValue] = [:], persistent: Bool = true
    ) {
        self.body = body
        self.messageID = messageID
        self.type = type
        self.contentType = contentType
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.userID = userID
        self.expiration = expiration
        self.headers = headers
        self.persistent = persistent
    }
}
