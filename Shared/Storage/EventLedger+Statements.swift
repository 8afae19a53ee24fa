import Logging
import PostgresNIO

// The ledger's statements run once per batch in every service, all day long. Prepared once per connection,
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

    /// Marks events processed.
    struct InsertProcessed: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO processed_events (marketplace_id, event_id)
            SELECT * FROM unnest($1::text[], $2::text[])
            ON CONFLICT DO NOTHING
            """
        let keys: [Key]

        init(_ keys: [Key]) { self.keys = keys }

        func makeBindings() throws -> PostgresBindings { keys.bindings }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Records final outcomes of actions.
    struct InsertCompleted: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO completed_actions (command_id, status)
            SELECT * FROM unnest($1::text[], $2::text[])
            ON CONFLICT DO NOTHING
            """
        let completions: [Completion]

        init(_ completions: [Completion]) { self.completions = completions }

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(completions.map(\.commandID))
            bindings.append(completions.map(\.status))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// The rules version of each key's marketplace and whether its event was processed. Keys of unknown
    /// marketplaces yield no row; `n` ties each row to its key (as a zero-based index).
    struct SelectMatchingStates: PostgresPreparedStatement {
        static let sql = """
            SELECT k.n, m.rules_version,
                   EXISTS (SELECT 1 FROM processed_events p
                           WHERE p.marketplace_id = k.marketplace_id AND p.event_id = k.event_id)
            FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(marketplace_id, event_id, n)
            JOIN marketplaces m ON m.id = k.marketplace_id
            """
        let keys: [Key]

        init(_ keys: [Key]) { self.keys = keys }

        func makeBindings() throws -> PostgresBindings { keys.bindings }

        func decodeRow(_ row: PostgresRow) throws -> (Int, MatchingState) {
            let (n, version, processed) = try row.decode((Int64, Int64, Bool).self)
            return (Int(n) - 1, MatchingState(rulesVersion: version, processed: processed))
        }
    }

    /// Which of the command ids completed.
    struct SelectCompleted: PostgresPreparedStatement {
        static let sql = "SELECT command_id FROM completed_actions WHERE command_id = ANY($1::text[])"
        let commandIDs: [String]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(commandIDs)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> String { try row.decode(String.self) }
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

