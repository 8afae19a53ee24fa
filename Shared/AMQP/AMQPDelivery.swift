/// Ties a delivery to the channel and connection generation it arrived on, so acks go to the right channel
/// and acks for deliveries from a previous connection (which the broker redelivers anyway) are dropped.
final class DeliveryContext: Sendable {
    /// The connection's shared state, where ack commands are queued.
    let core: ConnectionCore
    /// The consumer's channel in that generation.
    let channel: UInt16
    /// The connection generation the delivery belongs to.
    let generation: UInt64

    /// Creates the context shared by all deliveries of one consumer in one connection generation.
    init(core: ConnectionCore, channel: UInt16, generation: UInt64) {
        self.core = core
        self.channel = channel
        self.generation = generation
    }
}

/// A received message plus what is needed to settle it; the consumer must call `ack()` or `reject(requeue:)`
/// exactly once, after it has durably handled (or given up on) the message.
public struct AMQPDelivery: Sendable {
    /// The message with its properties and headers.
    public var message: AMQPMessage
    /// The exchange it was published to.
    public var exchange: String
    /// The routing key it was published with.
    public var routingKey: String
    /// Whether the broker delivered it before (to this or another consumer) without an ack.
    public var redelivered: Bool
    /// The broker's tag for this delivery on its channel.
    public var deliveryTag: UInt64
    /// Where settlement commands go; nil for deliveries built outside a connection.
    let context: DeliveryContext?

    /// Creates a detached delivery, for testing message handlers without a broker; `ack()` and
    /// `reject(requeue:)` do nothing on it.
    public init(
        message: AMQPMessage, exchange: String = "", routingKey: String = "", redelivered: Bool = false,
        deliveryTag: UInt64 = 0
    ) {
        self.init(
            message: message, exchange: exchange, routingKey: routingKey, redelivered: redelivered,
            deliveryTag: deliveryTag, context: nil)
    }

    /// Creates a delivery bound to a connection; the connection thread builds these.
    init(
        message: AMQPMessage, exchange: String, routingKey: String, redelivered: Bool, deliveryTag: UInt64,
        context: DeliveryContext?
    ) {
        self.message = message
        self.exchange = exchange
        self.routingKey = routingKey
        self.redelivered = redelivered
        self.deliveryTag = deliveryTag
        self.context = context
    }

    /// Tells the broker the message was handled so it is removed from the queue. Non-blocking: the ack is
    /// queued for the connection thread; it is silently dropped if the connection was re-established since
    /// (the broker will redeliver) or shut down.
    public func ack() {
        guard let context else { return }
        context.core.enqueue(.ack(channel: context.channel, deliveryTag: deliveryTag, generation: context.generation))
    }

    /// Gives the message back (`requeue: true`, redelivered later) or drops/dead-letters it (`requeue: false`).
    /// Same queuing semantics as `ack()`.
    public func reject(requeue: Bool) {
        guard let context else { return }
        context.core.enqueue(
            .reject(
                channel: context.channel, deliveryTag: deliveryTag,
                generation: context.generation, requeue: requeue))
    }
}
