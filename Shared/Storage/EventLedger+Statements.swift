import Logging
import PostgresNIO

// The ledger's statements run once per batch of the gateway's events, all day long. Prepared once per connection,
// PostgreSQL parses and plans each of them once instead of on every execution, which cost it more than running
// them.

extension EventLedger {
    /// Inserts accepted events, returning the keys that were new.
    struct InsertAccepted: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO accepted_events (marketplace_id, event_id)
            SELECT * FROM unnest($1::text[], $2::text[])
            ON CONFLICT DO NOTHING
            RETURNING marketplace_id, event_id
            """
        let keys: [Key]

        init(_ keys: [Key]) { self.keys = keys }

        func makeBindings() throws -> PostgresBindings { keys.bindings }

        func decodeRow(_ row: PostgresRow) throws -> Key {
            let (marketplaceID, id) = try row.decode((String, String).self)
            return Key(marketplaceID: marketplaceID, id: id)
        }
    }

    /// Which of the keys were accepted before.
    struct SelectAccepted: PostgresPreparedStatement {
        static let sql = """
            SELECT a.marketplace_id, a.event_id FROM accepted_events a
            JOIN unnest($1::text[], $2::text[]) AS k(marketplace_id, event_id)
                ON a.marketplace_id = k.marketplace_id AND a.event_id = k.event_id
            """
        let keys: [Key]

        init(_ keys: [Key]) { self.keys = keys }

        func makeBindings() throws -> PostgresBindings { keys.bindings }

        func decodeRow(_ row: PostgresRow) throws -> Key {
            let (marketplaceID, id) = try row.decode((String, String).self)
            return Key(marketplaceID: marketplaceID, id: id)
        }
    }
}

extension [EventLedger.Key] {
    /// `$1` marketplace ids, `$2` event ids.
    fileprivate var bindings: PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(map(\.marketplaceID))
        bindings.append(map(\.id))
        return bindings
    }
}
