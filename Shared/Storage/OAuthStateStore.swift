import Crypto
import Foundation
import Logging
import PostgresNIO

/// What an OAuth `state` stands for: the connection a merchant started, finished by the app's callback, which
/// carries no API key.
public struct OAuthState: Sendable, Equatable {
    /// The marketplace that started the connection.
    public var marketplaceID: String
    /// The connector's name (`mailchimp`).
    public var connector: String
    /// The label the integration gets, checked free when the connection started.
    public var label: String
    /// Until when the callback is accepted.
    public var expiresAt: Date
    /// Where the merchant's browser goes once the callback is handled (the console's page), if the client that
    /// started the connection asked for it.
    public var returnTo: String?
}

/// Single-use, expiring OAuth states. The state has 256 random bits and only its SHA-256 hash is stored, so
/// neither guessing one nor reading the database finishes someone else's connection.
public struct OAuthStateStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// A store on the given database client.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// What `consume` found.
    public enum Consumed: Sendable, Equatable {
        /// The state was issued and is still fresh; it is now used up.
        case valid(OAuthState)
        /// The state was issued but its time ran out; it is now used up too.
        case expired(OAuthState)
        /// Never issued, already used, or expired so long ago that it was cleaned up.
        case unknown
    }

    /// Issues a state for a connection started by a marketplace; valid for `ttl`.
    public func create(
        marketplaceID: String, connector: String, label: String, returnTo: String? = nil, ttl: Duration
    ) async throws -> (state: String, expiresAt: Date) {
        let state = Identifier.randomToken(bytes: 32)
        let seconds = Double(ttl.components.seconds) + Double(ttl.components.attoseconds) / 1e18
        // Housekeeping rides on issuing: states that expired a day ago can only ever answer "unknown".
        try await client.query(
            "DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'", logger: logger)
        let rows = try await client.query(
            """
            INSERT INTO oauth_states (state_hash, marketplace_id, connector, label, return_to, expires_at)
            VALUES (
                \(Self.hash(state)), \(marketplaceID), \(connector), \(label), \(returnTo),
                now() + make_interval(secs => \(seconds)))
            RETURNING expires_at
            """, logger: logger)
        for try await expiresAt in rows.decode(Date.self) { return (state, expiresAt) }
        throw StorageError(code: .corruptData, message: "the new OAuth state was not returned")
    }

    /// Uses a state up, atomically: of two callbacks with the same state, only one sees it.
    public func consume(_ state: String) async throws -> Consumed {
        let rows = try await client.query(
            """
            DELETE FROM oauth_states WHERE state_hash = \(Self.hash(state))
            RETURNING marketplace_id, connector, label, expires_at, expires_at > now(), return_to
            """, logger: logger)
        for try await (marketplaceID, connector, label, expiresAt, fresh, returnTo) in rows.decode(
            (String, String, String, Date, Bool, String?).self)
        {
            let found = OAuthState(
                marketplaceID: marketplaceID, connector: connector, label: label, expiresAt: expiresAt,
                returnTo: returnTo)
            return fresh ? .valid(found) : .expired(found)
        }
        return .unknown
    }

    static func hash(_ state: String) -> Data { Data(SHA256.hash(data: Array(state.utf8))) }
}
