import Foundation
import Messages
import PostgresNIO

extension LogStore {
    /// What a replay needs to perform an entry's action again: the command rebuilt from the stored event and rule.
    public struct Replay: Sendable {
        /// The command to publish: same id as the entry, the next attempt number, the replay number.
        public var command: ActionCommand
        /// The command, encoded as it was put in the outbox.
        public var body: [UInt8]
        /// The entry's progress before the replay, to undo it if the command cannot be queued.
        public var previousProgress: Int
    }

    /// Why an entry cannot be replayed.
    public enum ReplayRefusal: Error, Sendable, Equatable {
        /// No such entry in the marketplace.
        case notFound
        /// Only failed entries are replayed; the current status is given.
        case notFailed(LogStatus)
        /// The entry was written before events were stored with it.
        case noEvent
    }

    /// What is stored of a failed entry that a replay performs again.
    public struct ReplayedEntry: Sendable {
        /// The entry (and so the command) id.
        public var id: String
        /// The entry's marketplace.
        public var marketplaceID: String
        /// The event the entry was written for.
        public var event: TriggerEvent
        /// The rule as it was when the action was performed.
        public var rule: RuleSnapshot
        /// The attempt number the replay performs (the failed attempt's next).
        public var attempt: Int
        /// The replay's number (1 for the first).
        public var replay: Int
    }

    /// Moves a failed entry back to `pending` for a replay and returns the command that performs it (made by
    /// `command` from what is stored), or why not. The update is conditional on the entry still being failed, so two
    /// simultaneous replays queue one command. The command is put in the replay outbox in the same transaction: if
    /// the process dies before it is published, `pendingReplays` hands it out again, so the entry cannot stay
    /// pending for ever.
    public func beginReplay(
        marketplaceID: String, id: String, at: Date = Date(),
        command makeCommand: (ReplayedEntry) -> ActionCommand
    ) async throws -> Result<Replay, ReplayRefusal> {
        let rows = try await client.query(
            """
            SELECT status, progress, replays, created_at, event::text, rule::text FROM log_entries
            WHERE marketplace_id = \(marketplaceID) AND id = \(id)
            """, logger: logger)
        var found: (status: String, progress: Int, replays: Int, createdAt: Date, event: String?, rule: String?)?
        for try await row in rows.decode((String, Int, Int, Date, String?, String?).self) { found = row }
        guard let found else { return .failure(.notFound) }
        guard let status = LogStatus(rawValue: found.status) else {
            throw StorageError(code: .corruptData, message: "log entry has an unknown status")
        }
        guard status == .failed else { return .failure(.notFailed(status)) }
        guard let eventJSON = found.event, let ruleJSON = found.rule else { return .failure(.noEvent) }
        let event = try MessageCoding.decode(TriggerEvent.self, from: Array(eventJSON.utf8))
        let rule = try MessageCoding.decode(RuleSnapshot.self, from: Array(ruleJSON.utf8))
        // progress = attempt * 4 + status rank, so the failed attempt is progress / 4 and the replay is the next.
        let attempt = found.progress / 4 + 1
        let progress = attempt * 4 + LogStatus.pending.rank
        let command = makeCommand(
            ReplayedEntry(
                id: id, marketplaceID: marketplaceID, event: event, rule: rule, attempt: attempt,
                replay: found.replays + 1))
        let body = try MessageCoding.encode(command)
        let replayed = try await client.withTransaction(logger: logger) { connection -> Int? in
            let updated = try await connection.query(
                """
                UPDATE log_entries SET status = 'pending', reason = 'Replay requested; waiting to be performed.',
                    progress = \(progress), replays = replays + 1, updated_at = \(at)
                WHERE marketplace_id = \(marketplaceID) AND id = \(id) AND status = 'failed'
                    AND progress = \(found.progress)
                RETURNING replays
                """, logger: logger)
            var replay: Int?
            for try await number in updated.decode(Int.self) { replay = number }
            guard let replay, replay == command.replay else { return nil }
            try await connection.query(
                """
                INSERT INTO replay_outbox (completion_key, entry_id, connector, command)
                VALUES (\(command.completionKey), \(id), \(rule.connector), \(ByteBuffer(bytes: body)))
                ON CONFLICT DO NOTHING
                """, logger: logger)
            return replay
        }
        guard replayed != nil else { return .failure(.notFailed(.pending)) }
        return .success(Replay(command: command, body: body, previousProgress: found.progress))
    }

    /// A replay queued in the outbox and not yet published.
    public struct QueuedReplay: Sendable {
        /// The replay's completion key (`ActionCommand.completionKey`), the outbox row's key.
        public var completionKey: String
        /// The connector whose queue the command goes to.
        public var connector: String
        /// The encoded `ActionCommand`.
        public var body: [UInt8]
    }

    /// Replays queued at least `age` ago and still in the outbox: their publisher died or the broker was away.
    public func pendingReplays(queuedBefore age: Duration, limit: Int = 100) async throws -> [QueuedReplay] {
        let seconds = age.secondsForSQL
        let rows = try await client.query(
            """
            SELECT completion_key, connector, command FROM replay_outbox
            WHERE created_at < now() - make_interval(secs => \(seconds)) ORDER BY created_at LIMIT \(limit)
            """, logger: logger)
        var replays: [QueuedReplay] = []
        for try await (key, connector, command) in rows.decode((String, String, ByteBuffer).self) {
            replays.append(
                QueuedReplay(completionKey: key, connector: connector, body: Array(command.readableBytesView)))
        }
        return replays
    }

    /// Removes a replay from the outbox once the broker confirmed its command.
    public func finishReplay(completionKey: String) async throws {
        try await client.query("DELETE FROM replay_outbox WHERE completion_key = \(completionKey)", logger: logger)
    }

    /// The ids of a marketplace's failed entries matching `query` (its status is ignored), newest first, at most
    /// `limit`: what a bulk replay replays.
    public func failedEntryIDs(marketplaceID: String, _ query: LogQuery, limit: Int) async throws -> [String] {
        var query = query
        query.status = .failed
        query.limit = limit
        query.before = nil
        return try await search(marketplaceID: marketplaceID, query, withAttempts: false).entries.map(\.id)
    }
}
