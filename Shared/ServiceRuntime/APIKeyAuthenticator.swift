import Foundation
import Hummingbird
import Storage
import Synchronization

/// Resolves `Authorization: Bearer <key>` to a marketplace. Known keys are cached briefly so that a busy store
/// does not cost a database round trip per request; unknown keys are never cached.
public final class APIKeyAuthenticator: Sendable {
    private let store: MarketplaceStore
    private let ttl: Duration
    private let cache = Mutex<[String: (marketplaceID: String, expires: ContinuousClock.Instant)]>([:])

    public init(store: MarketplaceStore, ttl: Duration = .seconds(30)) {
        self.store = store
        self.ttl = ttl
    }

    /// The caller's marketplace id; throws 401 for a missing, malformed or unknown key.
    public func marketplaceID(for request: Request) async throws -> String {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw APIError.unauthorized
        }
        let key = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, key.utf8.count <= 200 else { throw APIError.unauthorized }
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0[key] }), cached.expires > now { return cached.marketplaceID }
        guard let id = try await store.marketplaceID(forAPIKey: key) else { throw APIError.unauthorized }
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[key] = (id, now + ttl)
        }
        return id
    }
}
