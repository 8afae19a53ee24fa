/// The deliveries of one queue as an async sequence. It keeps yielding across reconnections and ends only when
/// cancelled (by `cancel()`, by the broker, or because the iterating task went away) or when the connection is
/// shut down. Deliveries are buffered up to the prefetch count.
public struct AMQPConsumer: AsyncSequence, Sendable {
    /// Each element is one message to settle.
    public typealias Element = AMQPDelivery

    /// Iterates the deliveries; one iterator per consumer.
    public struct AsyncIterator: AsyncIteratorProtocol {
        /// The stream the connection thread yields into.
        var base: AsyncStream<AMQPDelivery>.Iterator

        /// The next delivery, or nil once the consumer has ended.
        public mutating func next() async -> AMQPDelivery? {
            await base.next()
        }
    }

    /// The stream the connection thread yields into.
    let stream: AsyncStream<AMQPDelivery>
    /// Identifies this consumer to the connection thread.
    let id: UInt64
    /// Where the cancel command goes.
    let core: ConnectionCore

    /// Starts iterating; the sequence is single-pass.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator())
    }

    /// Asks the broker to stop delivering; the sequence ends once the cancel is confirmed.
    /// Deliveries already yielded can still be acked; any that arrive after the cancel are requeued.
    public func cancel() {
        core.enqueue(.cancelConsumer(id: id))
    }
}
