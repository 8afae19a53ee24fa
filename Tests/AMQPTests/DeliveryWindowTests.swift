import Testing

@testable import AMQP

@Suite("DeliveryWindow: coalescing acks")
struct DeliveryWindowTests {
    /// A window with deliveries `tags`, as the connection thread builds it.
    func window(delivered tags: ClosedRange<UInt64>) -> DeliveryWindow {
        var window = DeliveryWindow()
        for tag in tags { window.delivered(tag) }
        return window
    }

    /// Notes the acks and returns whether each was known.
    func ack(_ tags: [UInt64], in window: inout DeliveryWindow) -> [Bool] {
        tags.map { window.ack($0) }
    }

    @Test func consecutiveAcksBecomeOneMultipleAck() {
        var window = window(delivered: 1...5)
        #expect(ack([3, 1, 2], in: &window) == [true, true, true])
        let acks = window.takeAcks()
        #expect(acks == .init(through: 3, singles: []))
        #expect(!window.hasAcks)
    }

    @Test func anOpenDeliveryIsNeverCoveredByAMultipleAck() {
        var window = window(delivered: 1...6)
        #expect(ack([1, 2, 4, 6], in: &window) == [true, true, true, true])
        // 3 and 5 are still being handled: 4 and 6 go out on their own.
        let first = window.takeAcks()
        #expect(first == .init(through: 2, singles: [4, 6]))
        #expect(ack([3], in: &window) == [true])
        // 3 closes the gap up to 4 (acked on its own already); 5 is still open.
        let second = window.takeAcks()
        #expect(second == .init(through: 3, singles: []))
        #expect(ack([5, 6], in: &window) == [true, false])  // 6 was settled before
        let third = window.takeAcks()
        #expect(third == .init(through: 5, singles: []))
    }

    @Test func rejectedDeliveriesDoNotHoldBackLaterAcks() {
        var window = window(delivered: 1...3)
        window.settledAlone(1)
        #expect(ack([2], in: &window) == [true])
        let acks = window.takeAcks()
        #expect(acks == .init(through: 2, singles: []))
    }

    @Test func unknownOrRepeatedAcksAreLeftToTheCaller() {
        var window = window(delivered: 1...1)
        #expect(ack([7, 1, 1], in: &window) == [false, true, false])
        let first = window.takeAcks()
        #expect(first == .init(through: 1, singles: []))
        let second = window.takeAcks()
        #expect(second == .init(through: nil, singles: []))
    }
}
