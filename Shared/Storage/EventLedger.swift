import Logging
import PostgresNIO

/// Remembers which events the gateway accepted, so that an id a store sends again is answered "duplicate" and not
/// published again (processing once is `ClaimLedger`'s). Reads and writes are batched: the lookups and records of
/// the requests handled at the same time share one statement (and one commit), so the database costs a round trip
/// per batch rather than per event.
public final class EventLedger: Sendable {
    /// (marketplace id, event or command id)
    public struct Key: Sendable, Hashable {
        /// The marketplace the id belongs to.
        public var marketplaceID: String
        /// The event's store-assigned id, or an action command's id.
        public var id: String
        /// Creates the key of an id within a marketplace.
        public init(marketplaceID: String, id: String) {
            self.marketplaceID = marketplaceID
            self.id = id
        }
    }

    let client: PostgresClient
    let logger: Logger
    private let accepted: BatchWriter<Key, Bool>
    private let acceptedBefore: BatchWriter<Key, Bool>

    /// Creates a ledger that works through `client`.
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
        acceptedBefore = BatchWriter { keys in
            var found = Set<Key>()
            for try await key in try await client.execute(SelectAccepted(keys), logger: logger) { found.insert(key) }
            return keys.map(found.contains)
        }
    }

    /// Records an event as accepted after the broker confirmed it; returns false when it was accepted before.
    public func recordAccepted(marketplaceID: String, eventID: String) async throws -> Bool {
        try await accepted.submit(Key(marketplaceID: marketplaceID, id: eventID))
    }

    /// Whether the event id was accepted before (looked up with the others asked at the same time).
    public func wasAccepted(marketplaceID: String, eventID: String) async throws -> Bool {
        try await acceptedBefore.submit(Key(marketplaceID: marketplaceID, id: eventID))
    }
}
