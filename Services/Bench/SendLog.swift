import Synchronization

/// The accepted events of a phase and when each was sent (or scheduled), shared by concurrent senders.
final class SendLog: Sendable {
    /// One accepted event: its id and the instant its latency counts from.
    struct Entry: Sendable {
        var id: String
        var at: ContinuousClock.Instant
    }

    private let entries = Mutex<[Entry]>([])

    /// Notes an accepted event.
    func append(id: String, at: ContinuousClock.Instant) {
        entries.withLock { $0.append(Entry(id: id, at: at)) }
    }

    /// Everything noted so far.
    var all: [Entry] { entries.withLock { $0 } }
}
