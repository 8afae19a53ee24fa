import HTTPAPI
import ServiceTestSupport
import Storage
import Testing

/// `APIKeyAuthenticator` against the real test PostgreSQL.
@Suite struct APIKeyAuthenticatorTests {
    @Test(
        "a new key's first requests arriving together share one lookup, so none is refused by the lookup limit",
        .enabled(if: ServiceTestSupport.isAvailable, "needs the test servers (deploy/local/test)"))
    func concurrentFirstRequestsShareOneLookup() async throws {
        let environment = try await ServiceTestSupport.environment()
        let url = try #require(environment["SWITCHYARD_DATABASE_URL"])
        try await Database.migrate(try DatabaseConfiguration(url: url), logger: ServiceTestSupport.logger)
        try await ServiceTestSupport.withDatabase(url) { postgres in
            let store = MarketplaceStore(client: postgres, logger: ServiceTestSupport.logger)
            let (marketplace, key) = try await store.create(name: "Burst")
            // Two lookups a second: forty requests each looking the key up would see 429s.
            let authenticator = APIKeyAuthenticator(store: store, lookupsPerSecond: 2)
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await authenticator.marketplaceID(forBearerToken: key.plaintext) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.count == 40 && answers.allSatisfy { $0 == marketplace.id })
            // An unknown key is still refused, and refused again from memory.
            let madeUp = APIKey.generate().plaintext
            for _ in 0..<2 {
                await #expect(throws: APIError.self) { try await authenticator.marketplaceID(forBearerToken: madeUp) }
            }
        }
    }
}
