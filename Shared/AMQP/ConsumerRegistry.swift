/// The consumers of one connection thread, across reconnections, without I/O: which are registered, which channel
/// each consumes on in the current connection, and what becomes of them when a channel or the connection is lost.
/// The loop performs the broker calls (`basic.consume`, `basic.cancel`) and tells the registry how they went.
struct ConsumerRegistry {
    /// Registered consumers by id.
    private var byID: [UInt64: ConsumerState] = [:]
    /// The consumer on each channel of the current connection.
    private var idByChannel: [UInt16: UInt64] = [:]

    /// Every registered consumer, in registration order: the order they are started in after a connect.
    var inStartOrder: [ConsumerState] { byID.values.sorted { $0.id < $1.id } }

    /// Keeps a consumer, to be started now or on the next connect.
    mutating func register(_ consumer: ConsumerState) {
        byID[consumer.id] = consumer
    }

    /// The registered consumer with this id.
    func consumer(id: UInt64) -> ConsumerState? { byID[id] }

    /// The consumer on the channel in the current connection.
    func consumer(on channel: UInt16) -> ConsumerState? { idByChannel[channel].flatMap { byID[$0] } }

    /// `basic.consume` succeeded: deliveries on `channel` are the consumer's.
    mutating func started(_ consumer: ConsumerState, on channel: UInt16, tag: String?, context: DeliveryContext) {
        consumer.channel = channel
        consumer.tag = tag
        consumer.context = context
        idByChannel[channel] = consumer.id
    }

    /// The broker closed the channel. Returns its consumer, now without a channel, to restart or, if it was being
    /// cancelled, to finish.
    mutating func channelClosed(_ channel: UInt16) -> ConsumerState? {
        guard let id = idByChannel.removeValue(forKey: channel), let consumer = byID[id] else { return nil }
        consumer.detach()
        return consumer
    }

    /// The connection is gone: every consumer loses its channel and stays registered for the next connect, except
    /// those being cancelled, which are finished.
    mutating func connectionLost() {
        for consumer in byID.values {
            consumer.detach()
            if consumer.cancelling { finish(consumer) }
        }
        idByChannel = [:]
    }

    /// Ends a consumer's stream and forgets it. Its channel stays open so in-flight deliveries can be acked.
    mutating func finish(_ consumer: ConsumerState) {
        consumer.continuation.finish()
        byID[consumer.id] = nil
    }

    /// Shutdown: ends every stream and forgets every consumer.
    mutating func finishAll() {
        for consumer in byID.values { consumer.continuation.finish() }
        byID = [:]
        idByChannel = [:]
    }
}

/// A consumer as the connection thread tracks it across reconnections.
final class ConsumerState {
    /// Stable identity.
    let id: UInt64
    /// The queue consumed.
    let queue: String
    /// `basic.qos` prefetch count.
    let prefetch: UInt16
    /// Where deliveries go.
    let continuation: AsyncStream<AMQPDelivery>.Continuation
    /// The channel in the current connection, if started.
    var channel: UInt16?
    /// The broker-assigned consumer tag in the current connection.
    var tag: String?
    /// Shared by the deliveries of the current channel.
    var context: DeliveryContext?
    /// Cancel was requested; further deliveries are requeued.
    var cancelling = false

    /// Creates the state from a registration.
    init(_ registration: ConsumerRegistration) {
        id = registration.id
        queue = registration.queue
        prefetch = registration.prefetch
        continuation = registration.continuation
    }

    /// Forgets the current connection's channel, tag and context.
    func detach() {
        channel = nil
        tag = nil
        context = nil
    }
}
