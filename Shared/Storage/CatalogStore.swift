import Connectors
import Logging
import Messages
import PostgresNIO

/// The lists, tags, groups… an integration's app offers, as last read by a refresh. Rules consult it to tell a
/// destination picked from the app from one the merchant typed by hand.
public struct CatalogStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The catalog entry of this kind whose id or name is the given one, or nil when the catalog has no such entry
    /// (a destination typed by hand). An id match wins over a name match. With `parentID`, only entries of that
    /// parent (or of none) match: a tag named "VIP" in another audience is not this one.
    public func entry(
        integrationID: String, kind: DestinationKind, id: String?, name: String, parentID: String? = nil
    ) async throws -> CatalogItem? {
        let rows = try await client.query(
            """
            SELECT kind, id, name, parent_id FROM catalog_entries
            WHERE integration_id = \(integrationID) AND kind = \(kind.rawValue) AND (id = \(id) OR name = \(name))
                AND (\(parentID)::text IS NULL OR parent_id IS NULL OR parent_id = \(parentID))
            ORDER BY (id = \(id)) DESC NULLS LAST
            LIMIT 1
            """, logger: logger)
        for try await row in rows { return try Self.decode(row) }
        return nil
    }

    static func decode(_ row: PostgresRow) throws -> CatalogItem {
        let (kindText, id, name, parentID) = try row.decode((String, String, String, String?).self)
        guard let kind = DestinationKind(rawValue: kindText) else {
            throw StorageError(code: .corruptData, message: "catalog entry \(id) has an unknown kind")
        }
        return CatalogItem(kind: kind, id: id, name: name, parentID: parentID)
    }

    /// Adds or replaces one entry (the refresh of another issue fills catalogs; tests seed them with this).
    public func upsert(integrationID: String, kind: DestinationKind, id: String, name: String, parentID: String? = nil)
        async throws
    {
        try await client.query(
            """
            INSERT INTO catalog_entries (integration_id, kind, id, name, parent_id)
            VALUES (\(integrationID), \(kind.rawValue), \(id), \(name), \(parentID))
            ON CONFLICT (integration_id, kind, id) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id
            """, logger: logger)
    }
}
