import Testing

@testable import AMQP

@Suite("WriteBudget: never more than the send queue holds")
struct WriteBudgetTests {
    /// Runs one admission on `budget` (outside `#expect`, which cannot mutate).
    func spend(_ budget: inout WriteBudget, _ admit: (inout WriteBudget) -> Bool) -> Bool {
        admit(&budget)
    }

    @Test func publishesFitNextToTheControlReserve() {
        var budget = WriteBudget(capacity: 100_000, queued: 50_000)
        #expect(spend(&budget) { $0.admitPublish(bytes: 40_000) })
        // 10 000 left, of which the reserve is not for publishes.
        #expect(!spend(&budget) { $0.admitPublish(bytes: 10_000 - WriteBudget.controlReserve + 1) })
        #expect(spend(&budget) { $0.admitPublish(bytes: 10_000 - WriteBudget.controlReserve) })
        #expect(!spend(&budget) { $0.admitPublish(bytes: 1) })
        // Acks, rejects and cancels still fit in the reserve.
        #expect(spend(&budget) { $0.admitControl(count: WriteBudget.controlReserve / WriteBudget.controlFrameBytes) })
        #expect(!spend(&budget) { $0.admitControl() })
    }

    @Test func aFullQueueAdmitsNothing() {
        // What a broker that stopped reading leaves: the queue is full and stays full.
        var budget = WriteBudget(capacity: 100_000, queued: 100_000)
        #expect(!spend(&budget) { $0.admitPublish(bytes: 100) })
        #expect(!spend(&budget) { $0.admitControl() })
        var overfull = WriteBudget(capacity: 100_000, queued: 150_000)
        #expect(!spend(&overfull) { $0.admitPublish(bytes: 1) })
        #expect(!spend(&overfull) { $0.admitControl() })
    }

    @Test func anOversizedPublishGoesOnlyFirstOntoAnEmptyQueue() {
        var empty = WriteBudget(capacity: 100_000, queued: 0)
        #expect(spend(&empty) { $0.admitPublish(bytes: 250_000) })
        #expect(!spend(&empty) { $0.admitPublish(bytes: 250_000) })
        #expect(!spend(&empty) { $0.admitPublish(bytes: 1) })
        var busy = WriteBudget(capacity: 100_000, queued: 1)
        #expect(!spend(&busy) { $0.admitPublish(bytes: 250_000) })
        #expect(spend(&busy) { $0.admitPublish(bytes: 1000) })
    }

    @Test func aBatchOfAcksLargerThanTheRoomGoesOutOnAnEmptyQueue() {
        // A thousand deliveries settled out of order after an outage: held back for good, they would stop the
        // consumer once its prefetch is used up.
        var empty = WriteBudget(capacity: 1000, queued: 0)
        #expect(spend(&empty) { $0.admitControl(count: 1000) })
        var busy = WriteBudget(capacity: 1000, queued: 1)
        #expect(!spend(&busy) { $0.admitControl(count: 1000) })
    }

    @Test func unknownRoomHoldsNothingBack() {
        var budget = WriteBudget.unlimited
        #expect(spend(&budget) { $0.admitPublish(bytes: 10_000_000) })
        #expect(spend(&budget) { $0.admitControl(count: 1_000_000) })
    }

    @Test func theSizeBoundCoversTheFramesBasicPublishWrites() {
        let message = AMQPMessage(
            body: [UInt8](repeating: 0, count: 300_000), messageID: "m-1", type: "t",
            headers: ["a": .string("xyz"), "n": .int(1)])
        let bound = message.encodedSizeBound(exchange: "ex", routingKey: "rk", messageID: "m-1")
        // Three body frames of at most 131 064 bytes, 8 bytes of framing each, plus method and header frames.
        #expect(bound >= 300_000 + 3 * 8 + 20 + 30)
        #expect(bound < 300_000 + 1024)
    }
}
