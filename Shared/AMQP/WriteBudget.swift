/// How many bytes the connection thread may write in one turn of its loop without a write blocking.
///
/// rabbitmq-c 0.11 writes publishes, acks, cancels and heartbeats with an infinite deadline: when the peer stops
/// reading (a broker that blocked the connection after a resource alarm stops reading its socket) and the
/// kernel's send queue is full, the write waits for room forever, and the thread stops serving everything else,
/// deadlines included. So the thread asks the kernel how full the send queue is once per turn and writes only
/// what fits; what does not fit waits in the loop (publishes in their queue, acks in their `DeliveryWindow`)
/// for a later turn. Pure value type: the loop feeds it the kernel's numbers, tests feed it any.
struct WriteBudget: Equatable {
    /// Bytes kept free for the small frames that must always go out: heartbeats (which rabbitmq-c writes on its
    /// own inside the frame-reading call), acks, rejects, cancels and close-oks. Publishes never use it.
    static let controlReserve = 4096
    /// Upper bound of one `basic.ack`, `basic.reject` or `basic.cancel` frame with a short consumer tag.
    static let controlFrameBytes = 64

    /// Payload bytes that fit now; nil when the kernel cannot tell (then nothing is held back).
    private(set) var room: Int?
    /// Whether the send queue was empty at the start of the turn.
    private let queueWasEmpty: Bool
    /// Whether a publish was admitted this turn.
    private var admittedPublish = false

    /// A budget from the socket's send-queue capacity and fill level (`nil` each: unknown, no limit).
    init(capacity: Int?, queued: Int?) {
        if let capacity, let queued {
            room = max(0, capacity - queued)
            queueWasEmpty = queued == 0
        } else {
            room = nil
            queueWasEmpty = true
        }
    }

    /// A budget without a limit.
    static var unlimited: WriteBudget { WriteBudget(capacity: nil, queued: nil) }

    /// Whether a publish of `bytes` (as encoded) may be written now; if so, its bytes are spent.
    ///
    /// A publish must fit next to the control reserve. One that can never fit (larger than the whole send queue)
    /// goes out only as the first publish of a turn that started with an empty queue: it then waits only while
    /// the peer reads, which it does unless it blocked the connection, and it announces that first.
    mutating func admitPublish(bytes: Int) -> Bool {
        guard let room else { return true }
        if room - Self.controlReserve >= bytes || (queueWasEmpty && !admittedPublish) {
            self.room = max(0, room - bytes)
            admittedPublish = true
            return true
        }
        return false
    }

    /// Whether `count` control frames (acks, rejects, cancels) may be written now; if so, their bytes are spent.
    ///
    /// Frames that do not fit still go out when the send queue was empty at the start of the turn: a peer that
    /// reads (one that blocked a connection stops only after it said so, and only for publishing ones) takes them,
    /// and a large batch of acks (a thousand deliveries settled out of order after an outage) must never be held
    /// back for good — that would stop the consumer once its prefetch is used up.
    mutating func admitControl(count: Int = 1) -> Bool {
        guard let room else { return true }
        let bytes = count * Self.controlFrameBytes
        guard room >= bytes || queueWasEmpty else { return false }
        self.room = max(0, room - bytes)
        return true
    }
}

extension AMQPMessage {
    /// An upper bound of the bytes `basic.publish` writes for this message: method frame, content header with
    /// the properties that are set, and the body split into frames (frame_max 131072, 8 bytes framing each).
    func encodedSizeBound(exchange: String, routingKey: String, messageID: String) -> Int {
        var size = 64 + exchange.utf8.count + routingKey.utf8.count  // method frame
        size += 64 + messageID.utf8.count  // header frame, flags, delivery mode
        for text in [contentType, type, correlationID, replyTo] {
            if let text { size += 1 + text.utf8.count }
        }
        if expiration != nil { size += 24 }
        for (key, value) in headers {
            size += 2 + key.utf8.count
            switch value {
            case .string(let text): size += 5 + text.utf8.count
            case .int, .bool: size += 9
            }
        }
        size += body.count + 8 * (body.count / 131_064 + 1)
        return size
    }
}
