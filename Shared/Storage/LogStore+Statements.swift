import Logging
import PostgresNIO

// The statements of `LogStore.write`, which runs for every batch of outcomes: prepared once per connection, so
// PostgreSQL parses and plans them once rather than per batch.

extension LogStore {
    /// Takes the transaction-scoped lock that makes writers take turns (see `write` and `search`).
    struct LockWriters: PostgresPreparedStatement {
        static let sql = "SELECT pg_advisory_xact_lock($1)"

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(LogStore.writeLockKey)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Inserts entries, or moves existing ones forward (a later attempt, or a final status for the same attempt);
    /// `$1` is a JSON array of `EntryRow`s.
    struct UpsertEntries: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO log_entries (id, marketplace_id, event_id, trigger, test, customer_email, product_id, rule_id,
                integration_id, integration_label, connector, action, destination, status, reason, progress,
                created_at, updated_at, event, rule)
            SELECT x.id, x.marketplace_id, x.event_id, x.trigger, x.test, x.customer_email, x.product_id, x.rule_id,
                x.integration_id, x.integration_label, x.connector, x.action, x.destination, x.status, x.reason,
                x.progress, x.at, x.at, x.event, x.rule
            FROM jsonb_to_recordset($1::jsonb) AS x(id text, marketplace_id text, event_id text,
                trigger text, test boolean, customer_email text, product_id text, rule_id text,
                integration_id text, integration_label text, connector text, action text, destination jsonb,
                status text, reason text, progress integer, at timestamptz, event jsonb, rule jsonb)
            ORDER BY x.at
            ON CONFLICT (id) DO UPDATE SET
                status = CASE WHEN log_entries.progress < EXCLUDED.progress
                    THEN EXCLUDED.status ELSE log_entries.status END,
                reason = CASE WHEN log_entries.progress < EXCLUDED.progress
                    THEN EXCLUDED.reason ELSE log_entries.reason END,
                updated_at = CASE WHEN log_entries.progress < EXCLUDED.progress
                    THEN EXCLUDED.updated_at ELSE log_entries.updated_at END,
                progress = GREATEST(log_entries.progress, EXCLUDED.progress),
                event = COALESCE(log_entries.event, EXCLUDED.event),
                rule = COALESCE(log_entries.rule, EXCLUDED.rule)
            WHERE log_entries.progress < EXCLUDED.progress
                OR (log_entries.event IS NULL AND EXCLUDED.event IS NOT NULL)
            """
        let json: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(json)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Inserts attempts once each; `$1` is a JSON array of `AttemptRow`s.
    struct InsertAttempts: PostgresPreparedStatement {
        static let sql = """
            INSERT INTO log_attempts (entry_id, number, at, outcome, request, response, duration_ms)
            SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(entry_id text, number integer,
                at timestamptz, outcome text, request text, response text, duration_ms integer)
            ON CONFLICT DO NOTHING
            """
        let json: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(json)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }
}
