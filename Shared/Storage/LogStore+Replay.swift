import Foundation
import Messages
import PostgresNIO

extension LogStore {
    /// What a replay needs to perform an entry's action again: the command rebuilt from the stored event and rule.
    public struct Replay: Sendable {
        /// The command to publish: same id as the entry, the next attempt number, the replay number.
        public var command: ActionCommand
        /// The entry's progress before the replay, to undo it if the command cannot be queued.
        public var previousProgress: Int
    }

    /// Why an entry cannot be replayed.
    public enum ReplayRefusal: Error, Sendable, Equatable {
        case notFound
        /// Only failed entries are replayed; the current status is given.
        case notFailed(LogStatus)
        /// The entry was written before events were stored with it.
        case noEvent
    }

    /// Moves a failed entry back to `pending` for a replay and returns the command that performs it, or why not.
    /// The update is conditional on the entry still being failed, so two simultaneous replays queue one command.
    public func beginReplay(marketplaceID: String, id: String, at: Date = Date()) async throws
        -> Result<Replay, ReplayRefusal>
    {
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
        let updated = try await client.query(
            """
            UPDATE log_entries SET status = 'pending', reason = 'Replay requested; waiting to be performed.',
                progress = \(progress), replays = replays + 1, updated_at = \(at)
            WHERE marketplace_id = \(marketplaceID) AND id = \(id) AND status = 'failed'
                AND progress = \(found.progress)
            RETURNING replays
            """, logger: logger)
        var replay: Int?
        for try await number in updated.decode(Int.self) { replay = number }
        guard let replay else { return .failure(.notFailed(.pending)) }
        let command = ActionCommand(
            commandID: id, marketplaceID: marketplaceID, event: event, rule: rule, attempt: attempt,
            createdAt: at, replay: replay)
        return .success(Replay(command: command, previousProgress: found.progress))
    }

    /// Puts an entry back to `failed` when its replay could not be queued, unless a worker already moved it on.
    public func abandonReplay(_ replay: Replay, reason: String) async throws {
        let command = replay.command
        let pending = command.attempt * 4 + LogStatus.pending.rank
        try await client.query(
            """
            UPDATE log_entries SET status = 'failed', reason = \(reason), progress = \(replay.previousProgress),
                updated_at = now()
            WHERE marketplace_id = \(command.marketplaceID) AND id = \(command.commandID) AND progress = \(pending)
            """, logger: logger)
    }
}
