import Storage

/// Signing secrets by integration, read from the database (and decrypted) at most once per minute each.
actor SecretCache {
    private let store: IntegrationStore
    private let ttl: Duration
    private var cached: [String: (secret: String?, expires: ContinuousClock.Instant)] = [:]

    init(store: IntegrationStore, ttl: Duration = .seconds(60)) {
        self.store = store
        self.ttl = ttl
    }

    /// The secret, or nil when the integration no longer exists.
    func secret(integrationID: String) async throws -> String? {
        let now = ContinuousClock.now
        if let entry = cached[integrationID], entry.expires > now { return entry.secret }
        let secret = try await store.credentials(integrationID: integrationID)?["secret"]
        cached[integrationID] = (secret, now + ttl)
        return secret
    }
}
