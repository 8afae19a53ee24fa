import Logging
import PostgresNIO

/// Remembers which events were accepted and processed and which actions completed, so that every consumer is
/// idempotent by message id (deliveries are at-least-once). Writes are batched: one commit per batch.
public final class EventLedger: Sendable {
    /// (marketplace id, event or command id)
    public struct Key: Sendable, Hashable {
        public var marketplaceID: String
        public var id: String
        public init(marketplaceID: String, id: String) {
            self.marketplaceID = marketplaceID
            self.id = id
        }
    }

    let client: PostgresClient
    let logger: Logger
    private let accepted: BatchWriter<Key, Bool>
    private let processed: BatchWriter<Key, Void>
    private let completed: BatchWriter<Completion, Void>

    /// An action that reached its final outcome.
    struct Completion: Sendable {
        var commandID: String
        var status: String
    }

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        accepted = BatchWriter { keys in try await Self.insertNew(keys, table: "accepted_events", client: client, logger: logger) }
        processed = BatchWriter { keys in
            _ = try await Self.insertNew(keys, table: "processed_events", client: client, logger: logger)
            return keys.map { _ in () }
        }
        completed = BatchWriter { completions in
            try await client.query(
                """
                INSERT INTO completed_actions (command_id, status)
                SELECT * FROM unnest(\(completions.map(\.commandID))::text[], \(completions.map(\.status))::text[])
                ON CONFLICT DO NOTHING
                """, logger: logger)
            return completions.map { _ in () }
        }
    }

    /// Records an event as accepted after the broker confirmed it; returns false when it was accepted before.
    public func recordAccepted(marketplaceID: String, eventID: String) async throws -> Bool {
        try await accepted.submit(Key(marketplaceID: marketplaceID, id: eventID))
    }

    /// Records that the matcher published every command of an event.
    public func markProcessed(marketplaceID: String, eventID: String) async throws {
        try await processed.submit(Key(marketplaceID: marketplaceID, id: eventID))
    }

    /// Whether an action already reached its final outcome (a redelivery must not perform it again).
    public func isCompleted(commandID: String) async throws -> Bool {
        let rows = try await client.query("SELECT 1 FROM completed_actions WHERE command_id = \(commandID)", logger: logger)
        for try await _ in rows { return true }
        return false
    }

    /// Records an action's final outcome (`success` or `failed`).
    public func markCompleted(commandID: String, status: String) async throws {
        try await completed.submit(Completion(commandID: commandID, status: status))
    }

    /// Inserts the keys that are new and tells, per key, whether it was new. A key that appears twice in one batch
    /// is new only the first time.
    private static func insertNew(_ keys: [Key], table: String, client: PostgresClient, logger: Logger) async throws -> [Bool] {
        let rows = try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO \(table) (marketplace_id, event_id)
                    SELECT * FROM unnest($1::text[], $2::text[])
                    ON CONFLICT DO NOTHING
                    RETURNING marketplace_id, event_id
                    """,
                binds: {
                    var bindings = PostgresBindings()
                    bindings.append(keys.map(\.marketplaceID))
                    bindings.append(keys.map(\.id))
                    return bindings
                }()), logger: logger)
        var inserted = Set<Key>()
        for try await (marketplaceID, id) in rows.decode((String, String).self) {
            inserted.insert(Key(marketplaceID: marketplaceID, id: id))
        }
        return keys.map { inserted.remove($0) != nil }
    }
}
