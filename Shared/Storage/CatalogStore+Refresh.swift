import Foundation
import Messages
import PostgresNIO

extension CatalogStore {
    /// One entry as a refresh read it from the app.
    public typealias Entry = CatalogEntry

    /// Replaces an integration's catalog with a fresh read, sets its `refreshed_at` and writes the configuration
    /// log's `refreshed` entry, all in one transaction: readers see the old catalog or the new one, never a mix.
    /// `message` is the log entry's text, given the number of entries stored per kind (also returned). An entry
    /// the app listed twice is stored once.
    public func replace(
        integrationID: String, with entries: [Entry], message: ([DestinationKind: Int]) -> String
    ) async throws -> [DestinationKind: Int] {
        var seen = Set<String>()
        var kinds: [String] = [], ids: [String] = [], names: [String] = [], parents: [String] = []
        var counts: [DestinationKind: Int] = [:]
        for entry in entries where seen.insert("\(entry.kind.rawValue)\u{0}\(entry.id)").inserted {
            kinds.append(entry.kind.rawValue)
            ids.append(entry.id)
            names.append(entry.name)
            parents.append(entry.parentID ?? "")
            counts[entry.kind, default: 0] += 1
        }
        let message = message(counts)
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                "DELETE FROM catalog_entries WHERE integration_id = \(integrationID)", logger: logger)
            if !ids.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO catalog_entries (integration_id, kind, id, name, parent_id)
                    SELECT \(integrationID), k, i, n, NULLIF(p, '')
                    FROM unnest(\(kinds)::text[], \(ids)::text[], \(names)::text[], \(parents)::text[]) AS e (k, i, n, p)
                    """, logger: logger)
            }
            try await connection.query(
                """
                WITH refreshed AS (
                    UPDATE integrations SET refreshed_at = now(), updated_at = now() WHERE id = \(integrationID)
                    RETURNING id, marketplace_id, label
                )
                INSERT INTO config_log_entries (marketplace_id, integration_id, integration_label, kind, message)
                SELECT marketplace_id, id, label, 'refreshed', \(message) FROM refreshed
                """, logger: logger)
        }
        return counts
    }

    /// Writes the configuration log's `refresh_failed` entry; the catalog stays as it was.
    public func recordRefreshFailure(integrationID: String, message: String) async throws {
        try await client.query(
            """
            INSERT INTO config_log_entries (marketplace_id, integration_id, integration_label, kind, message)
            SELECT marketplace_id, id, label, 'refresh_failed', \(message) FROM integrations WHERE id = \(integrationID)
            """, logger: logger)
    }
}
