import Logging
import Testing

@testable import AMQP

/// The consumers of a connection on their own: which channel delivers to which consumer, and what a lost channel,
/// a lost connection or a shutdown does to each.
@Suite("ConsumerRegistry: consumers across channels and reconnections")
struct ConsumerRegistryTests {
    let core = ConnectionCore(logger: Logger(label: "test"))

    /// A consumer of `queue` and its delivery stream.
    func consumer(_ id: UInt64, _ queue: String = "q") -> (ConsumerState, AsyncStream<AMQPDelivery>) {
        let (stream, continuation) = AsyncStream<AMQPDelivery>.makeStream()
        return (ConsumerState(.init(id: id, queue: queue, prefetch: 10, continuation: continuation)), stream)
    }

    /// Whether the stream has ended (it holds no deliveries in these tests).
    func ended(_ stream: AsyncStream<AMQPDelivery>) async -> Bool {
        var iterator = stream.makeAsyncIterator()
        return await iterator.next() == nil
    }

    func start(_ consumer: ConsumerState, on channel: UInt16, in registry: inout ConsumerRegistry) {
        registry.started(
            consumer, on: channel, tag: "ctag-\(channel)",
            context: DeliveryContext(core: core, channel: channel, generation: 1))
    }

    @Test func consumersStartInTheOrderTheyRegisteredAndAreFoundByChannel() {
        var registry = ConsumerRegistry()
        let (third, _) = consumer(3)
        let (first, _) = consumer(1)
        registry.register(third)
        registry.register(first)
        #expect(registry.inStartOrder.map(\.id) == [1, 3])
        #expect(registry.consumer(on: 2) == nil, "a consumer owns a channel before it started on it")
        start(first, on: 2, in: &registry)
        #expect(registry.consumer(on: 2)?.id == 1 && registry.consumer(id: 3)?.id == 3)
        #expect(first.tag == "ctag-2" && first.context?.channel == 2)
    }

    @Test func aClosedChannelDetachesItsConsumerOnlyWhichStaysRegistered() async {
        var registry = ConsumerRegistry()
        let (one, stream) = consumer(1)
        let (two, _) = consumer(2)
        registry.register(one)
        registry.register(two)
        start(one, on: 2, in: &registry)
        start(two, on: 3, in: &registry)
        let closed = registry.channelClosed(2)
        #expect(closed?.id == 1 && one.channel == nil && one.tag == nil && one.context == nil)
        #expect(registry.consumer(on: 2) == nil && registry.consumer(id: 1) != nil)
        #expect(registry.consumer(on: 3)?.id == 2 && two.channel == 3)
        #expect(registry.channelClosed(2) == nil, "a channel closed twice returned its consumer again")
        registry.finishAll()
        #expect(await ended(stream))
    }

    @Test func aLostConnectionKeepsConsumersForTheNextButFinishesThoseBeingCancelled() async {
        var registry = ConsumerRegistry()
        let (kept, keptStream) = consumer(1)
        let (cancelled, cancelledStream) = consumer(2)
        registry.register(kept)
        registry.register(cancelled)
        start(kept, on: 2, in: &registry)
        start(cancelled, on: 3, in: &registry)
        cancelled.cancelling = true
        registry.connectionLost()
        #expect(registry.inStartOrder.map(\.id) == [1])
        #expect(kept.channel == nil && registry.consumer(on: 2) == nil && registry.consumer(on: 3) == nil)
        #expect(await ended(cancelledStream))
        start(kept, on: 2, in: &registry)
        #expect(registry.consumer(on: 2)?.id == 1)
        registry.finish(kept)
        #expect(registry.consumer(id: 1) == nil && registry.inStartOrder.isEmpty)
        #expect(await ended(keptStream))
    }
}
