/// Lets at most `limit` pieces of work run at once for the same key within a process; the rest wait their turn in
/// arrival order. With a limit of 1 it serializes (`KeyedSerializer`); a connector worker uses a higher limit to stay
/// within an app's simultaneous-request limit per account, whatever the number of rules and events.
///
/// A waiter that is cancelled keeps its place: the work it waits for is short, and leaving the queue early would
/// need an unsafe continuation dance for no gain.
public actor KeyedLimiter {
    /// How many pieces of work may run at once for one key.
    public let limit: Int
    private var running: [String: Int] = [:]
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// A limit below 1 is read as 1.
    public init(limit: Int = 1) {
        self.limit = max(1, limit)
    }

    /// Runs `work` once fewer than `limit` pieces of work run for `key`, in the order the calls arrived.
    public func run<T: Sendable>(key: String, _ work: @Sendable () async throws -> T) async throws -> T {
        await acquire(key)
        defer { release(key) }
        return try await work()
    }

    private func acquire(_ key: String) async {
        let current = running[key, default: 0]
        if current < limit {
            running[key] = current + 1
            return
        }
        // The releasing task hands its slot over, so `running` stays as it is.
        await withCheckedContinuation { waiting[key, default: []].append($0) }
    }

    private func release(_ key: String) {
        if var queue = waiting[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[key] = queue.isEmpty ? nil : queue
            next.resume()
            return
        }
        let remaining = running[key, default: 1] - 1
        running[key] = remaining > 0 ? remaining : nil
    }
}
