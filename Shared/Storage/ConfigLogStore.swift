import Foundation
import Logging
import PostgresNIO

/// The configuration log: written by whoever changes an integration, read newest first by the log service.
public struct ConfigLogStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Creates a store that works through `client`.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Records one event of an integration.
    public func record(marketplaceID: String, _ entry: ConfigLogEntry) async throws {
        try await client.query(
            """
            INSERT INTO config_log_entries (marketplace_id, integration_id, integration_label, kind, message, at)
            VALUES (\(marketplaceID), \(entry.integrationID), \(entry.integrationLabel), \(entry.kind.rawValue),
                \(entry.message), \(entry.at))
            """, logger: logger)
    }

    /// Newest first, `limit` at a time; `before` is the position a previous page returned. Entries are rare,
    /// single-row inserts, so the seq cursor is used as is.
    public func list(marketplaceID: String, before: Int64?, limit: Int) async throws
        -> (entries: [ConfigLogEntry], next: Int64?)
    {
        let limit = min(max(limit, 1), 500)
        let rows = try await client.query(
            """
            SELECT seq, integration_id, integration_label, kind, message, at FROM config_log_entries
            WHERE marketplace_id = \(marketplaceID) AND seq < \(before ?? Int64.max)
            ORDER BY seq DESC LIMIT \(limit + 1)
            """, logger: logger)
        var result: [(Int64, ConfigLogEntry)] = []
        for try await (seq, id, label, kind, message, at) in rows.decode(
            (Int64, String, String, String, String, Date).self)
        {
            guard let kind = ConfigLogEntry.Kind(rawValue: kind) else {
                throw StorageError(code: .corruptData, message: "configuration log entry has an unknown kind")
            }
            result.append(
                (seq, ConfigLogEntry(integrationID: id, integrationLabel: label, kind: kind, message: message, at: at)))
        }
        let more = result.count > limit
        if more { result.removeLast() }
        return (result.map(\.1), more ? result.last?.0 : nil)
    }
}
