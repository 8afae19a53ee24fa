import Storage

/// Integrations' credentials, read from the database (and decrypted) at most every `ttl` each. A refusal by
/// the app drops the entry, so new credentials are picked up at the next attempt.
actor CredentialsCache {
    private let store: IntegrationStore
    private let ttl: Duration
    private var cached: [String: (access: IntegrationAccess?, expires: ContinuousClock.Instant)] = [:]

    init(store: IntegrationStore, ttl: Duration = .seconds(30)) {
        self.store = store
        self.ttl = ttl
    }

    /// The integration and its credentials, or nil when it no longer exists.
    func access(integrationID: String) async throws -> IntegrationAccess? {
        let now = ContinuousClock.now
        if let entry = cached[integrationID], entry.expires > now { return entry.access }
        let access = try await store.access(integrationID: integrationID)
        cached[integrationID] = (access, now + ttl)
        return access
    }

    func forget(integrationID: String) {
        cached[integrationID] = nil
    }
}
