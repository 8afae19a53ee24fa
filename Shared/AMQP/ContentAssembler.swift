/// A message being reassembled from method, header and body frames on one channel.
struct IncomingContent {
    /// What the content belongs to.
    enum Kind: Equatable {
        /// A `basic.deliver` to a consumer.
        case delivery(tag: UInt64, redelivered: Bool, exchange: String, routingKey: String)
        /// A `basic.return` of an unroutable mandatory publish.
        case returned(reason: String)
    }

    /// What the content belongs to.
    let kind: Kind
    /// Properties and body received so far.
    var message = AMQPMessage(body: [], contentType: nil)
    /// Expected body size from the content header; nil until the header arrived.
    var bodySize: Int?
}

/// Reassembles the messages the broker sends as a method frame (`basic.deliver`, `basic.return`), a content
/// header and body frames (AMQP 0-9-1 §4.2.6), without I/O: the connection thread hands it the frames it read and
/// gets back each message once it is whole. The frames of one message follow each other on its channel, but
/// channels interleave, so each channel assembles its own. Frames that belong to no message in progress (a header
/// or body after the channel closed, a body before its header) are dropped, as the loop always did.
struct ContentAssembler {
    /// Messages in progress by channel.
    private var inProgress: [UInt16: IncomingContent] = [:]

    /// A method frame that carries content arrived: its header and body follow on `channel`. A message still in
    /// progress there is abandoned (the broker never interleaves two on one channel).
    mutating func begin(_ kind: IncomingContent.Kind, on channel: UInt16) {
        inProgress[channel] = IncomingContent(kind: kind)
    }

    /// The content header arrived with the message's `properties` (their body is ignored) and the size of the body
    /// to come. Returns the message when it has no body, so it is already whole.
    mutating func header(on channel: UInt16, bodySize: Int, properties: AMQPMessage) -> IncomingContent? {
        guard var content = inProgress[channel] else { return nil }
        content.message = properties
        content.message.body = []
        content.message.body.reserveCapacity(bodySize)
        content.bodySize = bodySize
        if bodySize == 0 {
            inProgress[channel] = nil
            return content
        }
        inProgress[channel] = content
        return nil
    }

    /// A body frame arrived. Returns the message when its body reached the size the header announced.
    mutating func body(on channel: UInt16, _ bytes: some Collection<UInt8>) -> IncomingContent? {
        guard var content = inProgress.removeValue(forKey: channel), let size = content.bodySize else { return nil }
        content.message.body.append(contentsOf: bytes)
        if content.message.body.count >= size { return content }
        inProgress[channel] = content
        return nil
    }

    /// The channel closed: what was in progress on it will not be completed.
    mutating func discard(channel: UInt16) {
        inProgress[channel] = nil
    }

    /// The connection was lost: nothing in progress will be completed.
    mutating func discardAll() {
        inProgress = [:]
    }

    /// Whether a message is in progress on the channel.
    func isAssembling(on channel: UInt16) -> Bool { inProgress[channel] != nil }
}
