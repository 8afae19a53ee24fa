/// Runs work for the same key one at a time within a process. Two deliveries of one message (a store that
/// publishes an id twice, a redelivery racing the original) then see each other's result instead of both
/// acting: the second one finds the event processed, or the action completed, and only acks.
public actor KeyedSerializer {
    private var busy: [String: [CheckedContinuation<Void, Never>]] = [:]

    public init() {}

    public func run<T: Sendable>(key: String, _ work: @Sendable () async throws -> T) async throws -> T {
        await acquire(key)
        defer { release(key) }
        return try await work()
    }

    private func acquire(_ key: String) async {
        if busy[key] == nil {
            busy[key] = []
            return
        }
        await withCheckedContinuation { busy[key, default: []].append($0) }
    }

    private func release(_ key: String) {
        guard var waiters = busy[key], !waiters.isEmpty else {
            busy[key] = nil
            return
        }
        let next = waiters.removeFirst()
        busy[key] = waiters
        next.resume()
    }
}
