import Foundation
import Logging
import PostgresNIO

/// A merchant's store: the unit of tenancy.
public struct Marketplace: Sendable, Codable, Equatable {
    /// The marketplace's id (`mkt_…`).
    public var id: String
    /// The name the operator gave it.
    public var name: String
    /// When it was created.
    public var createdAt: Date
}

/// Marketplaces and their API keys.
public struct MarketplaceStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Creates a store that works through `client`.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Creates a marketplace with its first API key; the key's plaintext exists only in the return value.
    public func create(name: String) async throws -> (Marketplace, APIKey) {
        let id = Identifier.random(prefix: "mkt")
        let key = APIKey.generate()
        let hash = Data(APIKey.hash(key.plaintext))
        let prefix = key.prefix
        let createdAt = try await client.withTransaction(logger: logger) { connection -> Date in
            let rows = try await connection.query(
                "INSERT INTO marketplaces (id, name) VALUES (\(id), \(name)) RETURNING created_at", logger: logger)
            var createdAt = Date()
            for try await date in rows.decode(Date.self) { createdAt = date }
            try await connection.query(
                "INSERT INTO api_keys (key_hash, marketplace_id, key_prefix) VALUES (\(hash), \(id), \(prefix))",
                logger: logger)
            return createdAt
        }
        return (Marketplace(id: id, name: name, createdAt: createdAt), key)
    }

    /// The marketplace an API key belongs to, or nil for an unknown or revoked key.
    public func marketplaceID(forAPIKey key: String) async throws -> String? {
        let hash = Data(APIKey.hash(key))
        let rows = try await client.query(
            "SELECT marketplace_id FROM api_keys WHERE key_hash = \(hash) AND revoked_at IS NULL", logger: logger)
        for try await id in rows.decode(String.self) { return id }
        return nil
    }

    /// Whether a marketplace with this id exists.
    public func exists(id: String) async throws -> Bool {
        let rows = try await client.query("SELECT 1 FROM marketplaces WHERE id = \(id)", logger: logger)
        for try await _ in rows.decode(Int.self) { return true }
        return false
    }
}
