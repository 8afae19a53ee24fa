import Foundation
import Logging
import PostgresNIO

/// One connected account of a connector, as the API shows it: never with credentials.
public struct Integration: Sendable, Equatable {
    /// The integration's id (`int_…`).
    public var id: String
    /// The marketplace the integration belongs to.
    public var marketplaceID: String
    /// The connector's name (`mailchimp`).
    public var connector: String
    /// The merchant's internal label, unique within the marketplace ("Melissa's Mailchimp").
    public var label: String
    /// `connected`, or `needs_reconnect` once the app refused its credentials.
    public var status: String
    /// The account the app connected as ("Demo Store (us6)"), if known.
    public var account: String?
    /// When the catalog was last refreshed; nil before the first refresh.
    public var refreshedAt: Date?
    /// When the integration was connected.
    public var createdAt: Date
    /// When the integration last changed.
    public var updatedAt: Date
}

/// Integrations, with their credentials sealed by a `CredentialCipher` before they reach the database.
public struct IntegrationStore: Sendable {
    let client: PostgresClient
    let cipher: CredentialCipher
    let logger: Logger

    /// Creates a store that works through `client` and seals credentials with `cipher`.
    public init(client: PostgresClient, cipher: CredentialCipher, logger: Logger) {
        self.client = client
        self.cipher = cipher
        self.logger = logger
    }

    static let columns = "id, marketplace_id, connector, label, status, account, refreshed_at, created_at, updated_at"

    /// Stores a new integration with its credentials sealed, and writes its `connected` configuration log entry in
    /// the same statement. Throws `.conflict` when the label is taken in the marketplace.
    public func create(
        marketplaceID: String, connector: String, label: String, credentials: [String: String], account: String?
    ) async throws -> Integration {
        let id = Identifier.random(prefix: "int")
        let sealed = Data(try cipher.seal(credentials: credentials))
        do {
            let rows = try await client.query(
                """
                WITH created AS (
                    INSERT INTO integrations (id, marketplace_id, connector, label, account, credentials)
                    VALUES (\(id), \(marketplaceID), \(connector), \(label), \(account), \(sealed))
                    RETURNING id, marketplace_id, connector, label, status, account, refreshed_at, created_at,
                        updated_at
                ), logged AS (
                    -- The configuration log's `connected` entry commits with the integration, or neither does.
                    INSERT INTO config_log_entries (marketplace_id, integration_id, integration_label, kind, message)
                    SELECT marketplace_id, id, label, 'connected', 'Connected ' || connector || ' as "' || label || '".'
                    FROM created
                )
                SELECT id, marketplace_id, connector, label, status, account, refreshed_at, created_at, updated_at
                FROM created
                """, logger: logger)
            for try await row in rows { return try Self.decode(row) }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw StorageError(code: .conflict, message: "an integration labelled \"\(label)\" already exists")
        }
        throw StorageError(code: .corruptData, message: "the new integration was not returned")
    }

    /// The marketplace's integrations, oldest first.
    public func list(marketplaceID: String) async throws -> [Integration] {
        let rows = try await client.query(
            """
            SELECT id, marketplace_id, connector, label, status, account, refreshed_at, created_at, updated_at
            FROM integrations WHERE marketplace_id = \(marketplaceID) ORDER BY created_at, id
            """, logger: logger)
        var result: [Integration] = []
        for try await row in rows { result.append(try Self.decode(row)) }
        return result
    }

    /// The integration if it exists in this marketplace; another marketplace's id reads as not found.
    public func get(marketplaceID: String, id: String) async throws -> Integration? {
        let rows = try await client.query(
            """
            SELECT id, marketplace_id, connector, label, status, account, refreshed_at, created_at, updated_at
            FROM integrations WHERE marketplace_id = \(marketplaceID) AND id = \(id)
            """, logger: logger)
        for try await row in rows { return try Self.decode(row) }
        return nil
    }

    /// The decrypted credentials of an integration, for the connector worker that acts with them.
    public func credentials(integrationID: String) async throws -> [String: String]? {
        let rows = try await client.query(
            "SELECT credentials FROM integrations WHERE id = \(integrationID)", logger: logger)
        for try await sealed in rows.decode(Data.self) { return try cipher.openCredentials(Array(sealed)) }
        return nil
    }

    static func decode(_ row: PostgresRow) throws -> Integration {
        let (id, marketplaceID, connector, label, status, account, refreshedAt, createdAt, updatedAt) = try row.decode(
            (String, String, String, String, String, String?, Date?, Date, Date).self)
        return Integration(
            id: id, marketplaceID: marketplaceID, connector: connector, label: label, status: status, account: account,
            refreshedAt: refreshedAt, createdAt: createdAt, updatedAt: updatedAt)
    }
}
