import Foundation
import PostgresNIO

/// Renaming, reconnecting and deleting integrations.
extension IntegrationStore {
    /// What `update` changes; nil fields stay as they are.
    public struct Change: Sendable {
        /// The new label, unique in the marketplace.
        public var label: String?
        /// New credentials, already verified with the app, and the account they belong to.
        public var credentials: (values: [String: String], account: String?)?

        /// A change of the label, the credentials, or both.
        public init(label: String? = nil, credentials: (values: [String: String], account: String?)? = nil) {
            self.label = label
            self.credentials = credentials
        }
    }

    /// What `delete` did.
    public enum Deletion: Sendable, Equatable {
        /// No such integration in this marketplace.
        case notFound
        /// Rules use it and no cascade was asked for: nothing was deleted.
        case inUse(ruleIDs: [String])
        /// Deleted, with these rules (its catalog goes with it).
        case deleted(ruleIDs: [String])
    }

    /// Whether another integration of the marketplace already has this label (checked before asking an app, so a
    /// merchant is not sent through a sign-in for a name that would be refused afterwards).
    public func isLabelTaken(marketplaceID: String, label: String, excluding id: String? = nil) async throws -> Bool {
        let rows = try await client.query(
            """
            SELECT 1 FROM integrations
            WHERE marketplace_id = \(marketplaceID) AND label = \(label) AND id IS DISTINCT FROM \(id)::text
            """, logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Renames and/or reconnects an integration; nil when it does not exist in this marketplace. New credentials
    /// set the status back to `connected` and write a `connected` entry to the configuration log. A new label
    /// bumps the marketplace's rules version, so matchers put the new label in the log from the next event on.
    public func update(marketplaceID: String, id: String, _ change: Change) async throws -> Integration? {
        let sealed = try change.credentials.map { Data(try cipher.seal(credentials: $0.values)) }
        let account = change.credentials?.account
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    WITH updated AS (
                        UPDATE integrations SET label = COALESCE(\(change.label)::text, label),
                            credentials = COALESCE(\(sealed)::bytea, credentials),
                            account = CASE WHEN \(sealed)::bytea IS NULL THEN account ELSE \(account)::text END,
                            status = CASE WHEN \(sealed)::bytea IS NULL THEN status ELSE 'connected' END,
                            updated_at = now()
                        WHERE marketplace_id = \(marketplaceID) AND id = \(id)
                        RETURNING \(unescaped: Self.columns)
                    ), logged AS (
                        INSERT INTO config_log_entries (marketplace_id, integration_id, integration_label, kind, message)
                        SELECT marketplace_id, id, label, 'connected',
                            'Reconnected ' || connector || ' "' || label || '" with new credentials.'
                        FROM updated WHERE \(sealed)::bytea IS NOT NULL
                    )
                    SELECT \(unescaped: Self.columns) FROM updated
                    """, logger: logger)
                var updated: Integration?
                for try await row in rows { updated = try Self.decode(row) }
                if updated != nil, change.label != nil {
                    try await RuleStore.bumpVersion(marketplaceID: marketplaceID, on: connection, logger: logger)
                }
                return updated
            }
        } catch let error as PostgresTransactionError {
            // The unique (marketplace_id, label) constraint, raised inside the transaction.
            if let cause = error.closureError as? PSQLError, cause.serverInfo?[.sqlState] == "23505" {
                throw StorageError(
                    code: .conflict, message: "an integration labelled \"\(change.label ?? "")\" already exists")
            }
            throw error
        }
    }

    /// Deletes an integration and its catalog. When rules use it, nothing happens unless `cascade`, which deletes
    /// them in the same transaction (bumping the rules version, so no matcher acts on them any more).
    public func delete(marketplaceID: String, id: String, cascade: Bool) async throws -> Deletion {
        try await client.withTransaction(logger: logger) { connection in
            // Locking the row makes a rule created meanwhile wait for this transaction (its foreign key check).
            let found = try await connection.query(
                "SELECT id FROM integrations WHERE marketplace_id = \(marketplaceID) AND id = \(id) FOR UPDATE",
                logger: logger)
            var exists = false
            for try await _ in found { exists = true }
            guard exists else { return .notFound }
            let rows = try await connection.query(
                "SELECT id FROM rules WHERE integration_id = \(id) ORDER BY created_at, id", logger: logger)
            var ruleIDs: [String] = []
            for try await ruleID in rows.decode(String.self) { ruleIDs.append(ruleID) }
            if !ruleIDs.isEmpty {
                guard cascade else { return .inUse(ruleIDs: ruleIDs) }
                try await connection.query("DELETE FROM rules WHERE integration_id = \(id)", logger: logger)
                try await RuleStore.bumpVersion(marketplaceID: marketplaceID, on: connection, logger: logger)
            }
            try await connection.query("DELETE FROM integrations WHERE id = \(id)", logger: logger)
            return .deleted(ruleIDs: ruleIDs)
        }
    }
}
