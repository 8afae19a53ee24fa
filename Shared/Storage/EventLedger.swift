import Logging
import PostgresNIO

/// What the matcher needs to know before it matches an event: the marketplace's rules version (bumped by every
/// rule change, so the matcher knows whether its rule cache is fresh) and whether the event was processed.
public struct MatchingState: Sendable, Equatable {
    public var rulesVersion: Int64
    public var processed: Bool

    public init(rulesVersion: Int64, processed: Bool) {
        self.rulesVersion = rulesVersion
        self.processed = processed
    }
}

/// Remembers which events were accepted and processed and which actions completed, so that every consumer is
/// idempotent by message id (deliveries are at-least-once). Reads and writes are batched: the lookups and
/// records of the deliveries handled at the same time share one statement (and one commit), so the database
/// costs a round trip per batch rather than per event.
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
    private let matching: BatchWriter<Key, MatchingState?>
    private let completions: BatchWriter<String, Bool>

    /// An action that reached its final outcome.
    struct Completion: Sendable {
        var commandID: String
        var status: String
    }

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        accepted = BatchWriter { keys in
            var inserted = Set<Key>()
            for try await key in try await client.execute(InsertAccepted(keys), logger: logger) {
                inserted.insert(key)
            }
            // A key that appears twice in one batch is new only the first time.
            return keys.map { inserted.remove($0) != nil }
        }
        processed = BatchWriter { keys in
            try await client.run(InsertProcessed(keys), logger: logger)
            return keys.map { _ in () }
        }
        completed = BatchWriter { completions in
            try await client.run(InsertCompleted(completions), logger: logger)
            return completions.map { _ in () }
        }
        matching = BatchWriter { keys in
            var states = [MatchingState?](repeating: nil, count: keys.count)
            for try await (index, state) in try await client.execute(SelectMatchingStates(keys), logger: logger)
            where states.indices.contains(index) {
                states[index] = state
            }
            return states
        }
        completions = BatchWriter { commandIDs in
            var found = Set<String>()
            for try await id in try await client.execute(SelectCompleted(commandIDs: commandIDs), logger: logger) {
                found.insert(id)
            }
            return commandIDs.map(found.contains)
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
        try await completions.submit(commandID)
    }

    /// The marketplace's rules version and whether the event was processed, in one round trip shared with the
    /// other events looked up at the same time; nil for an unknown marketplace. The rules version is read after
    /// the event was published, so a rule saved before the event is in force for it.
    public func matchingState(marketplaceID: String, eventID: String) async throws -> MatchingState? {
        try await matching.submit(Key(marketplaceID: marketplaceID, id: eventID))
    }

    /// Records an action's final outcome (`success` or `failed`).
    public func markCompleted(commandID: String, status: String) async throws {
        try await completed.submit(Completion(commandID: commandID, status: status))
    }
}
