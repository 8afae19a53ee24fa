import Logging
import Messages
import PostgresNIO

/// The lists, tags, groups… an integration's app offers, as last read by a refresh. Rules consult it to tell a
/// destination picked from the app from one the merchant typed by hand.
public struct CatalogStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Creates a store that works through `client`.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The catalog entries of this kind whose id or name is the given one, an id match first; empty when the
    /// catalog has none (a destination typed by hand). With `parentID`, only entries of that parent (or of none)
    /// match: a tag named "VIP" in another audience is not this one. Several name matches mean the name alone
    /// is ambiguous (the same tag name in two audiences).
    public func entries(
        integrationID: String, kind: DestinationKind, id: String?, name: String, parentID: String? = nil
    ) async throws -> [Entry] {
        let rows = try await client.query(
            """
            SELECT kind, id, name, parent_id FROM catalog_entries
            WHERE integration_id = \(integrationID) AND kind = \(kind.rawValue) AND (id = \(id) OR name = \(name))
                AND (\(parentID)::text IS NULL OR parent_id IS NULL OR parent_id = \(parentID))
            ORDER BY (id = \(id)) DESC NULLS LAST, parent_id, id
            LIMIT 20
            """, logger: logger)
        var result: [Entry] = []
        for try await row in rows { result.append(try Self.decode(row)) }
        return result
    }

    /// The app's id of the best match of `entries(…)`, or nil for a destination typed by hand.
    public func entryID(integrationID: String, kind: DestinationKind, id: String?, name: String) async throws -> String?
    {
        try await entries(integrationID: integrationID, kind: kind, id: id, name: name).first?.id
    }

    static func decode(_ row: PostgresRow) throws -> Entry {
        let (kindText, id, name, parentID) = try row.decode((String, String, String, String?).self)
        guard let kind = DestinationKind(rawValue: kindText) else {
            throw StorageError(code: .corruptData, message: "catalog entry \(id) has an unknown kind")
        }
        return Entry(kind: kind, id: id, name: name, parentID: parentID)
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
