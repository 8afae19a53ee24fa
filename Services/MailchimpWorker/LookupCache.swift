import Pipeline

/// Values fetched from an app and remembered for a short while, so a burst of actions needs one lookup. Loads of
/// one key run one at a time: callers that arrive during a load get its result instead of loading again.
/// Entries are few (per account or audience) and stay until replaced.
actor LookupCache<Value: Sendable> {
    private var entries: [String: (value: Value, at: ContinuousClock.Instant)] = [:]
    private let loads = KeyedLimiter()
    let maxAge: Duration

    init(maxAge: Duration) {
        self.maxAge = maxAge
    }

    /// The cached value while it is younger than `maxAge`, else a fresh one. `refresh` asks for a value loaded
    /// after this call began (the cached one was found wanting).
    func value(for key: String, refresh: Bool = false, load: @Sendable () async throws -> Value) async throws -> Value {
        let asked = ContinuousClock.now
        return try await loads.run(key: key) {
            try await self.cachedOrLoaded(key, asked: asked, refresh: refresh, load: load)
        }
    }

    func store(_ value: Value, for key: String) {
        entries[key] = (value, .now)
    }

    private func cachedOrLoaded(
        _ key: String, asked: ContinuousClock.Instant, refresh: Bool, load: @Sendable () async throws -> Value
    ) async throws -> Value {
        if let entry = entries[key], entry.at >= asked || (!refresh && asked - entry.at < maxAge) { return entry.value }
        let value = try await load()
        entries[key] = (value, .now)
        return value
    }
}
