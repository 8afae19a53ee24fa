import Messages
import PostgresNIO

extension CatalogStore {
    /// Typeahead over an integration's catalog: entries whose name starts with `prefix`, ignoring case, ordered by
    /// name; every kind when `kind` is nil. Served by the `catalog_entries_prefix` index (migration 4) as a range
    /// of `lower(name)`, because tag lists can be long.
    public func search(integrationID: String, kind: DestinationKind?, prefix: String, limit: Int) async throws
        -> [Entry]
    {
        // lower() on both sides, by the same database, so names and prefix fold alike. Every name that starts
        // with the prefix sorts below the prefix followed by the highest code point; starts_with is exact.
        let rows = try await client.query(
            """
            SELECT kind, id, name, parent_id FROM catalog_entries
            WHERE integration_id = \(integrationID) AND (\(kind?.rawValue)::text IS NULL OR kind = \(kind?.rawValue))
                AND lower(name) COLLATE "C" >= lower(\(prefix))
                AND lower(name) COLLATE "C" < lower(\(prefix)) || \("\u{10FFFF}")
                AND starts_with(lower(name), lower(\(prefix)))
            ORDER BY lower(name) COLLATE "C", id
            LIMIT \(limit)
            """, logger: logger)
        var result: [Entry] = []
        for try await row in rows { result.append(try Self.decode(row)) }
        return result
    }
}
