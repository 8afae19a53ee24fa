/// The deliveries of one consumer channel that are not settled yet, in delivery-tag order. Handlers finish in
/// any order; when the oldest deliveries are all settled, their acks go out as one `basic.ack` with `multiple`
/// set instead of one frame (and one socket write) each. Owned by the connection thread.
struct DeliveryWindow {
    /// What to send for the acks noted since the last `takeAcks()`.
    struct Acks: Equatable {
        /// Ack every delivery up to and including this tag (`multiple`); nil when none of the oldest was acked.
        var through: UInt64?
        /// Acks that must go out one by one: an older delivery before them is still being handled.
        var singles: [UInt64]
    }

    /// Delivered tags in ascending order from `head`; those before `head` were settled and covered.
    private var tags: [UInt64] = []
    private var head = 0
    /// Delivered and neither acked nor rejected.
    private var open: Set<UInt64> = []
    /// Settled on their own (rejected, or acked singly) but still in `tags` behind an open delivery.
    private var settled: Set<UInt64> = []
    /// Acked since the last `takeAcks()`.
    private var acked: [UInt64] = []

    /// Whether acks are waiting for `takeAcks()`.
    var hasAcks: Bool { !acked.isEmpty }
    /// How many acks are waiting: an upper bound of the frames the next `takeAcks()` sends.
    var ackCount: Int { acked.count }

    /// Notes a delivery handed to the consumer; tags grow on a channel.
    mutating func delivered(_ tag: UInt64) {
        tags.append(tag)
        open.insert(tag)
    }

    /// Notes an ack to send with the next `takeAcks()`; false when the delivery is unknown (or already settled),
    /// in which case the caller acks it on its own, as the broker expects for any tag it does not know either.
    mutating func ack(_ tag: UInt64) -> Bool {
        guard open.remove(tag) != nil else { return false }
        acked.append(tag)
        return true
    }

    /// Notes a delivery settled by a frame of its own (a reject).
    mutating func settledAlone(_ tag: UInt64) {
        if open.remove(tag) != nil { settled.insert(tag) }
    }

    /// The acks to send now: one `multiple` ack covering the oldest deliveries if they are all settled, single
    /// acks for the others. Never covers a delivery that is still open.
    mutating func takeAcks() -> Acks {
        guard !acked.isEmpty else { return Acks(through: nil, singles: []) }
        let now = Set(acked)
        acked.removeAll(keepingCapacity: true)
        var through: UInt64?
        while head < tags.count {
            let tag = tags[head]
            if now.contains(tag) {
                through = tag
            } else if settled.remove(tag) == nil {
                break  // still open: everything from here on waits
            }
            head += 1
        }
        if head == tags.count {
            tags.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 && head * 2 > tags.count {
            tags.removeFirst(head)
            head = 0
        }
        let singles = now.filter { tag in through.map { tag > $0 } ?? true }.sorted()
        settled.formUnion(singles)
        return Acks(through: through, singles: singles)
    }
}
