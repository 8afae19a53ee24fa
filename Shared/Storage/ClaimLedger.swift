import Foundation
import Logging
import PostgresNIO

/// Claims work before it is done, so that of several processes given the same message (a store's retried event,
/// a command delivered twice, a redelivery after a lost connection) exactly one does it.
///
/// A claim is a row taken with one atomic statement and held by one process instance (the claimant) until its
/// lease runs out. Another process that gets the same message while the claim is held waits; once the lease ran out
/// (its holder died), it takes the claim over. An action's claim also keeps what its attempt must publish, stored
/// before it is published: a redelivery after a crash republishes that instead of calling the app again. So an
/// attempt is performed twice only when its process died between the app's answer and that write.
public final class ClaimLedger: Sendable {
    /// What a process may do with a message it was given.
    public enum EventClaim: Sendable, Equatable {
        /// This process holds the event: match it; the marketplace's rules version comes along.
        case claimed(rulesVersion: Int64)
        /// The event was processed before: only acknowledge it.
        case done
        /// Another process holds it for about this long: wait, then ask again.
        case held(Duration)
        /// No such marketplace.
        case unknownMarketplace
    }

    /// What a process may do with one attempt of an action.
    public enum ActionClaim: Sendable, Equatable {
        /// This process performs the attempt.
        case perform
        /// The attempt was performed; its follow-ups (as stored) may not have been published yet: publish them.
        case republish([UInt8])
        /// The attempt was performed and its follow-ups published: only acknowledge it.
        case done
        /// Another process holds it for about this long: wait, then ask again.
        case held(Duration)
    }

    /// (completion key, attempt) of an action.
    public struct AttemptKey: Sendable, Hashable {
        /// The action's completion key (`ActionCommand.completionKey`).
        public var completionKey: String
        /// The attempt number.
        public var attempt: Int
        /// Creates the key of one attempt of an action.
        public init(completionKey: String, attempt: Int) {
            self.completionKey = completionKey
            self.attempt = attempt
        }
    }

    let client: PostgresClient
    let logger: Logger
    /// This process instance.
    public let claimant: String
    /// How long a claim protects its holder. Longer than any attempt takes (the app's timeout included).
    public let lease: Duration

    private let events: BatchWriter<EventLedger.Key, EventClaim>
    private let eventsDone: BatchWriter<EventLedger.Key, Void>
    private let actions: BatchWriter<AttemptKey, ActionClaim>
    private let performed: BatchWriter<Performed, Void>
    private let published: BatchWriter<AttemptKey, Void>

    struct Performed: Sendable {
        var key: AttemptKey
        var followups: [UInt8]
    }

    /// Creates a ledger whose claims are held by `claimant` for `lease` at a time.
    public init(client: PostgresClient, claimant: String, lease: Duration, logger: Logger) {
        self.client = client
        self.logger = logger
        self.claimant = claimant
        self.lease = lease
        let leaseSeconds = lease.secondsForSQL
        events = BatchWriter { keys in
            try await Self.claim(keys, client: client, logger: logger) { unique in
                ClaimEvents(keys: unique, claimant: claimant, leaseSeconds: leaseSeconds)
            } duplicate: { _ in
                .held(.milliseconds(200))
            }
        }
        eventsDone = BatchWriter { keys in
            try await client.run(FinishEvents(keys: keys, claimant: claimant), logger: logger)
            return keys.map { _ in () }
        }
        actions = BatchWriter { keys in
            try await Self.claim(keys, client: client, logger: logger) { unique in
                ClaimAttempts(keys: unique, claimant: claimant, leaseSeconds: leaseSeconds)
            } duplicate: { _ in
                .held(.milliseconds(200))
            }
        }
        performed = BatchWriter { items in
            try await client.run(RecordPerformed(items: items, claimant: claimant), logger: logger)
            return items.map { _ in () }
        }
        published = BatchWriter { keys in
            try await client.run(RecordPublished(keys: keys), logger: logger)
            return keys.map { _ in () }
        }
    }

    /// Runs a claim statement once per distinct key: a key twice in one batch is a second copy of one message,
    /// which waits for the first.
    private static func claim<Key: Hashable & Sendable, Result: Sendable, Statement: PostgresPreparedStatement>(
        _ keys: [Key], client: PostgresClient, logger: Logger, statement: ([Key]) -> Statement,
        duplicate: (Key) -> Result
    ) async throws -> [Result] where Statement.Row == (Int, Result) {
        var firstIndex: [Key: Int] = [:]
        var unique: [Key] = []
        for key in keys where firstIndex[key] == nil {
            firstIndex[key] = unique.count
            unique.append(key)
        }
        var results = [Result?](repeating: nil, count: unique.count)
        for try await (index, result) in try await client.execute(statement(unique), logger: logger)
        where results.indices.contains(index) {
            results[index] = result
        }
        var seen = Set<Key>()
        return try keys.map { key in
            guard seen.insert(key).inserted else { return duplicate(key) }
            guard let index = firstIndex[key], let result = results[index] else {
                throw StorageError(code: .corruptData, message: "a claim statement left a key without an answer")
            }
            return result
        }
    }

    /// Claims an event for matching (one statement shared with the events claimed at the same time).
    public func claimEvent(marketplaceID: String, eventID: String) async throws -> EventClaim {
        try await events.submit(EventLedger.Key(marketplaceID: marketplaceID, id: eventID))
    }

    /// Records that every command and outcome of a claimed event was published.
    public func finishEvent(marketplaceID: String, eventID: String) async throws {
        try await eventsDone.submit(EventLedger.Key(marketplaceID: marketplaceID, id: eventID))
    }

    /// Claims one attempt of an action.
    public func claimAttempt(_ key: AttemptKey) async throws -> ActionClaim {
        try await actions.submit(key)
    }

    /// Stores what a performed attempt must publish, before it is published.
    public func recordPerformed(_ key: AttemptKey, followups: [UInt8]) async throws {
        try await performed.submit(Performed(key: key, followups: followups))
    }

    /// Records that an attempt's follow-ups were published (the broker confirmed them).
    public func recordPublished(_ key: AttemptKey) async throws {
        try await published.submit(key)
    }

    /// Lets another process take over at once the claims this process gives up (it is shutting down).
    public func release(event: EventLedger.Key? = nil, attempt: AttemptKey? = nil) async {
        do {
            if let event {
                try await client.query(
                    """
                    UPDATE processed_events SET lease_until = now()
                    WHERE marketplace_id = \(event.marketplaceID) AND event_id = \(event.id)
                        AND claimant = \(claimant) AND NOT done
                    """, logger: logger)
            }
            if let attempt {
                try await client.query(
                    """
                    UPDATE action_claims SET lease_until = now()
                    WHERE completion_key = \(attempt.completionKey) AND attempt = \(attempt.attempt)
                        AND claimant = \(claimant) AND state <> 'published'
                    """, logger: logger)
            }
        } catch {
            logger.debug("could not release a claim; it expires with its lease", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes action claims older than `age` (far beyond any retry), so the table does not grow for ever.
    @discardableResult
    public func prune(olderThan age: Duration) async throws -> Int {
        let seconds = age.secondsForSQL
        var count = 0
        let rows = try await client.query(
            """
            DELETE FROM action_claims WHERE claimed_at < now() - make_interval(secs => \(seconds)) RETURNING 1
            """, logger: logger)
        for try await _ in rows { count += 1 }
        return count
    }
}

extension ClaimLedger {
    /// Claims events: a new row, or the takeover of one whose lease ran out; answers for every key with the
    /// marketplace's rules version (read after the claim) or the state of the claim held elsewhere.
    struct ClaimEvents: PostgresPreparedStatement {
        static let sql = """
            WITH k AS (
                SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(marketplace_id, event_id, n)
            ), taken AS (
                INSERT INTO processed_events (marketplace_id, event_id, claimant, lease_until, done)
                SELECT k.marketplace_id, k.event_id, $3, now() + make_interval(secs => $4), false
                FROM k JOIN marketplaces m ON m.id = k.marketplace_id
                ON CONFLICT (marketplace_id, event_id) DO UPDATE
                    SET claimant = EXCLUDED.claimant, lease_until = EXCLUDED.lease_until
                    WHERE NOT processed_events.done
                        AND (processed_events.lease_until IS NULL OR processed_events.lease_until < now()
                            OR processed_events.claimant = EXCLUDED.claimant)
                RETURNING marketplace_id, event_id
            )
            SELECT k.n, m.rules_version, t.event_id IS NOT NULL, coalesce(p.done, false),
                coalesce(EXTRACT(EPOCH FROM (p.lease_until - now()))::float8, 0)
            FROM k JOIN marketplaces m ON m.id = k.marketplace_id
            LEFT JOIN taken t ON t.marketplace_id = k.marketplace_id AND t.event_id = k.event_id
            LEFT JOIN processed_events p ON p.marketplace_id = k.marketplace_id AND p.event_id = k.event_id
            """
        let keys: [EventLedger.Key]
        let claimant: String
        let leaseSeconds: Double

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(keys.map(\.marketplaceID))
            bindings.append(keys.map(\.id))
            bindings.append(claimant)
            bindings.append(leaseSeconds)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> (Int, EventClaim) {
            let (n, version, taken, done, remaining) = try row.decode((Int64, Int64, Bool, Bool, Double).self)
            let claim: EventClaim =
                if taken { .claimed(rulesVersion: version) } else if done { .done } else { .held(.seconds(remaining)) }
            return (Int(n) - 1, claim)
        }
    }

    /// Marks claimed events processed.
    struct FinishEvents: PostgresPreparedStatement {
        static let sql = """
            UPDATE processed_events p SET done = true, lease_until = NULL, processed_at = now()
            FROM unnest($1::text[], $2::text[]) AS k(marketplace_id, event_id)
            WHERE p.marketplace_id = k.marketplace_id AND p.event_id = k.event_id
            """
        let keys: [EventLedger.Key]
        let claimant: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(keys.map(\.marketplaceID))
            bindings.append(keys.map(\.id))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Claims attempts: a new row, or the takeover of an unpublished one whose lease ran out.
    struct ClaimAttempts: PostgresPreparedStatement {
        static let sql = """
            WITH k AS (
                SELECT * FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS k(completion_key, attempt, n)
            ), taken AS (
                INSERT INTO action_claims (completion_key, attempt, claimant, lease_until, state)
                SELECT k.completion_key, k.attempt, $3, now() + make_interval(secs => $4), 'claimed' FROM k
                ON CONFLICT (completion_key, attempt) DO UPDATE
                    SET claimant = EXCLUDED.claimant, lease_until = EXCLUDED.lease_until
                    WHERE action_claims.state <> 'published'
                        AND (action_claims.lease_until < now() OR action_claims.claimant = EXCLUDED.claimant)
                RETURNING completion_key, attempt
            )
            SELECT k.n, t.attempt IS NOT NULL, c.state, c.followups,
                coalesce(EXTRACT(EPOCH FROM (c.lease_until - now()))::float8, 0)
            FROM k
            LEFT JOIN taken t ON t.completion_key = k.completion_key AND t.attempt = k.attempt
            LEFT JOIN action_claims c ON c.completion_key = k.completion_key AND c.attempt = k.attempt
            """
        let keys: [AttemptKey]
        let claimant: String
        let leaseSeconds: Double

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(keys.map(\.completionKey))
            bindings.append(keys.map(\.attempt))
            bindings.append(claimant)
            bindings.append(leaseSeconds)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> (Int, ActionClaim) {
            // `c` is the row as it was before this statement: absent for a new claim.
            let (n, taken, state, followups, remaining) = try row.decode(
                (Int64, Bool, String?, ByteBuffer?, Double).self)
            let claim: ActionClaim
            switch (taken, state) {
            case (true, "performed"):
                claim = followups.map { .republish(Array($0.readableBytesView)) } ?? .perform
            case (true, _): claim = .perform
            case (false, "published"): claim = .done
            default: claim = .held(.seconds(max(remaining, 0.2)))
            }
            return (Int(n) - 1, claim)
        }
    }

    /// Stores the follow-ups of performed attempts (only while the claim is still this process's).
    struct RecordPerformed: PostgresPreparedStatement {
        static let sql = """
            UPDATE action_claims c SET state = 'performed', followups = k.followups
            FROM unnest($1::text[], $2::int[], $3::bytea[]) AS k(completion_key, attempt, followups)
            WHERE c.completion_key = k.completion_key AND c.attempt = k.attempt AND c.claimant = $4
            """
        let items: [Performed]
        let claimant: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(items.map(\.key.completionKey))
            bindings.append(items.map(\.key.attempt))
            bindings.append(items.map { ByteBuffer(bytes: $0.followups) })
            bindings.append(claimant)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }

    /// Marks attempts published and drops their stored follow-ups.
    struct RecordPublished: PostgresPreparedStatement {
        static let sql = """
            UPDATE action_claims c SET state = 'published', followups = NULL
            FROM unnest($1::text[], $2::int[]) AS k(completion_key, attempt)
            WHERE c.completion_key = k.completion_key AND c.attempt = k.attempt
            """
        let keys: [AttemptKey]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(keys.map(\.completionKey))
            bindings.append(keys.map(\.attempt))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }
}
