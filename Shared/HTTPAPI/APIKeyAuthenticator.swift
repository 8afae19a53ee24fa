import Foundation
import Hummingbird
import Metrics
import Storage
import Synchronization

/// Resolves `Authorization: Bearer <key>` to a marketplace. Known keys are cached briefly so that a busy store
/// does not cost a database round trip per request. Unknown keys must not cost one either, or a flood of made-up
/// keys becomes a flood of queries: a key that cannot be one of ours (prefix, length, alphabet) is refused without
/// a lookup, an unknown key is remembered as unknown for a minute, and lookups of keys not cached are limited
/// to `lookupsPerSecond` (beyond that `429`; a known key whose cache entry just expired is still accepted then).
/// Concurrent requests with the same uncached key share one lookup.
public final class APIKeyAuthenticator: Sendable {
    private let store: MarketplaceStore
    private let ttl: Duration
    private let cache = Mutex<[String: (marketplaceID: String, expires: ContinuousClock.Instant)]>([:])
    private let unknown = Mutex<[String: ContinuousClock.Instant]>([:])
    /// The lookup running for a key, which every request with that key waits for.
    private let inFlight = Mutex<[String: Task<String?, any Error>]>([:])
    private let budget: Mutex<(tokens: Double, refilled: ContinuousClock.Instant)>
    private let lookupsPerSecond: Double
    private let lookups = Counter(label: "switchyard_auth_key_lookups_total")
    private let refused = Counter(label: "switchyard_auth_refused_total")
    /// How long an unknown key is answered 401 without asking the database again.
    static let unknownTTL: Duration = .seconds(60)

    /// Creates an authenticator that looks keys up in `store`, caches a known key for `ttl`, and allows at most
    /// `lookupsPerSecond` lookups of keys not cached.
    public init(store: MarketplaceStore, ttl: Duration = .seconds(30), lookupsPerSecond: Double = 50) {
        self.store = store
        self.ttl = ttl
        self.lookupsPerSecond = lookupsPerSecond
        budget = Mutex((lookupsPerSecond, .now))
    }

    /// The marketplace id of a request's bearer token (`HTTPFields.bearerToken`); throws 401 for a missing,
    /// malformed or unknown key, 429 while unknown keys arrive faster than they may be looked up.
    public func marketplaceID(forBearerToken token: String?) async throws -> String {
        guard let token else { throw APIError.unauthorized }
        let key = token.trimmingCharacters(in: .whitespaces)
        guard Self.couldBeKey(key) else {
            refused.increment()
            throw APIError.unauthorized
        }
        let now = ContinuousClock.now
        let cached = cache.withLock { $0[key] }
        if let cached, cached.expires > now { return cached.marketplaceID }
        if let until = unknown.withLock({ $0[key] }), until > now {
            refused.increment()
            throw APIError.unauthorized
        }
        // Requests with one key that is not cached share one lookup: a store whose first burst with a new key
        // arrives on many connections at once spends one token, not one per connection.
        let lookup = inFlight.withLock { flights in
            if let running = flights[key] { return running }
            let task = Task { try await self.lookUp(key) }
            flights[key] = task
            return task
        }
        let id: String?
        do {
            id = try await lookup.value
        } catch is LookupRefused {
            if let cached { return cached.marketplaceID }
            refused.increment()
            throw APIError(
                .tooManyRequests, code: "too_many_requests",
                message: "too many requests with unknown API keys; retry in a moment", headers: [.retryAfter: "1"])
        }
        guard let id else {
            refused.increment()
            throw APIError.unauthorized
        }
        return id
    }

    /// The lookup budget was spent: the key was not looked up.
    private struct LookupRefused: Error {}

    /// Looks a key up once (if the budget allows) and remembers the answer, known or unknown; then lets the next
    /// request with this key start a lookup of its own.
    private func lookUp(_ key: String) async throws -> String? {
        defer { _ = inFlight.withLock { $0.removeValue(forKey: key) } }
        let now = ContinuousClock.now
        guard takeLookup(now) else { throw LookupRefused() }
        lookups.increment()
        guard let id = try await store.marketplaceID(forAPIKey: key) else {
            unknown.withLock { unknown in
                if unknown.count > 10_000 { unknown.removeAll() }
                unknown[key] = now + Self.unknownTTL
            }
            cache.withLock { $0[key] = nil }
            return nil
        }
        cache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[key] = (id, now + ttl)
        }
        return id
    }

    /// A token of the lookup budget (a token bucket refilled at `lookupsPerSecond`, holding at most one second's).
    private func takeLookup(_ now: ContinuousClock.Instant) -> Bool {
        budget.withLock { budget in
            let elapsed = now - budget.refilled
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            budget.tokens = min(lookupsPerSecond, budget.tokens + seconds * lookupsPerSecond)
            budget.refilled = now
            guard budget.tokens >= 1 else { return false }
            budget.tokens -= 1
            return true
        }
    }

    /// Whether `key` has the shape of a key `APIKey.generate` makes: `sy_live_` and 43 base64url characters.
    static func couldBeKey(_ key: String) -> Bool {
        let prefix = "sy_live_"
        guard key.utf8.count == prefix.utf8.count + 43, key.hasPrefix(prefix) else { return false }
        return key.utf8.dropFirst(prefix.utf8.count).allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_")
        }
    }
}
