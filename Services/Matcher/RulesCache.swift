import Storage

/// Each marketplace's enabled rules, kept until the marketplace's rules version changes. The version is read
/// with every event, so a rule saved before an event was published is always in force for that event, in
/// every matcher process.
actor RulesCache {
    private let store: RuleStore
    private var cached: [String: (version: Int64, rules: [ActiveRule])] = [:]

    init(store: RuleStore) {
        self.store = store
    }

    func rules(marketplaceID: String, version: Int64) async throws -> [ActiveRule] {
        if let entry = cached[marketplaceID], entry.version == version { return entry.rules }
        let rules = try await store.activeRules(marketplaceID: marketplaceID)
        // Another event may have loaded a newer version meanwhile; keep the newest.
        if let entry = cached[marketplaceID], entry.version > version { return rules }
        cached[marketplaceID] = (version, rules)
        return rules
    }
}
