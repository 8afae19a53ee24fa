import Foundation
import Logging
import Messages
import PostgresNIO

/// The integration log: written in batches from outcomes, read by search and by id.
public struct LogStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Creates a store that works through `client`.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Writes a batch of outcomes in one transaction. Idempotent: an outcome seen twice changes nothing, and an
    /// entry only moves forward (a later attempt, or a final status for the same attempt).
    public func write(_ outcomes: [Outcome]) async throws {
        guard !outcomes.isEmpty else { return }
        // ON CONFLICT DO UPDATE may touch a row once per statement: keep the most advanced outcome per entry.
        var latest: [String: Outcome] = [:]
        for outcome in outcomes {
            if let current = latest[outcome.entryID], Self.progress(current) >= Self.progress(outcome) {
                if current.event == nil, let event = outcome.event { latest[outcome.entryID]?.event = event }
                continue
            }
            var outcome = outcome
            if outcome.event == nil { outcome.event = latest[outcome.entryID]?.event }
            latest[outcome.entryID] = outcome
        }
        let entries = latest.values.sorted { $0.at < $1.at }.map(EntryRow.init)
        let attempts = outcomes.compactMap { outcome in
            outcome.attempt.map { AttemptRow(entryID: outcome.entryID, number: outcome.attemptNumber, attempt: $0) }
        }
        let entriesJSON = String(decoding: try MessageCoding.encode(entries), as: UTF8.self)
        let attemptsJSON = String(decoding: try MessageCoding.encode(attempts), as: UTF8.self)
        try await client.withTransaction(logger: logger) { connection in
            // Writers take turns (a transaction-scoped lock): `seq` values are then committed in the order they
            // are drawn, so a reader never sees seq n while a smaller seq is still to come. That is what lets
            // search pages use `seq` as their cursor without skipping an entry committed late (see `search`).
            try await connection.run(LockWriters(), logger: logger)
            try await connection.run(UpsertEntries(json: entriesJSON), logger: logger)
            if !attempts.isEmpty {
                try await connection.run(InsertAttempts(json: attemptsJSON), logger: logger)
            }
        }
    }

    /// The advisory lock that orders log writers (an arbitrary constant, unique within this database).
    static let writeLockKey: Int64 = 0x5359_4C4F_4753

    /// Newest first; returns the entries and the position to continue from when there may be more.
    ///
    /// The cursor is the `seq` identity column. Identity values are drawn at insert time, so two concurrent
    /// transactions could commit out of seq order and a page read between their commits would step over the
    /// later-committed smaller seq for good. `write` therefore serialises writers with a transaction-scoped
    /// advisory lock: commits happen in seq order, every seq below a visible one is already visible, and a
    /// `seq < cursor` page neither repeats nor drops an entry while new (larger) ones arrive. Status updates
    /// never change `seq`. Taking turns costs little: writes are batches of up to 500 outcomes.
    public func search(marketplaceID: String, _ query: LogQuery, withAttempts: Bool = true) async throws
        -> (entries: [LogEntry], next: Int64?)
    {
        var bindings = PostgresBindings()
        bindings.append(marketplaceID)
        var sql = "SELECT \(Self.columns) FROM log_entries WHERE marketplace_id = $1"
        func filter(_ condition: String, _ value: some PostgresNonThrowingEncodable) {
            bindings.append(value)
            sql += " AND " + condition.replacingOccurrences(of: "?", with: "$\(bindings.count)")
        }
        if let email = query.email {
            filter("lower(customer_email) = lower(?)", email.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        if let trigger = query.trigger { filter("trigger = ?", trigger) }
        if let status = query.status { filter("status = ?", status.rawValue) }
        if let integrationID = query.integrationID { filter("integration_id = ?", integrationID) }
        if let productID = query.productID { filter("product_id = ?", productID) }
        if let eventID = query.eventID { filter("event_id = ?", eventID) }
        if let since = query.since { filter("created_at >= ?", since) }
        if let until = query.until { filter("created_at < ?", until) }
        if let before = query.before { filter("seq < ?", before) }
        let limit = min(max(query.limit, 1), 500)
        sql += " ORDER BY seq DESC LIMIT \(limit + 1)"
        var rows: [(seq: Int64, entry: LogEntry)] = []
        for try await row in try await client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger) {
            rows.append(try Self.decode(row))
        }
        let more = rows.count > limit
        if more { rows.removeLast() }
        let entries = withAttempts ? try await self.withAttempts(rows.map(\.entry)) : rows.map(\.entry)
        return (entries, more ? rows.last?.seq : nil)
    }

    /// One entry with every attempt, if it belongs to the marketplace.
    public func entry(marketplaceID: String, id: String) async throws -> LogEntry? {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM log_entries WHERE marketplace_id = \(marketplaceID) AND id = \(id)",
            logger: logger)
        for try await row in rows { return try await withAttempts([try Self.decode(row).entry]).first }
        return nil
    }

    private func withAttempts(_ entries: [LogEntry]) async throws -> [LogEntry] {
        guard !entries.isEmpty else { return entries }
        let ids = entries.map(\.id)
        let rows = try await client.query(
            """
            SELECT entry_id, number, at, outcome, request, response, duration_ms FROM log_attempts
            WHERE entry_id = ANY(\(ids)) ORDER BY entry_id, number
            """, logger: logger)
        var attempts: [String: [LogEntry.Attempt]] = [:]
        for try await (entryID, number, at, outcome, request, response, duration) in rows.decode(
            (String, Int, Date, String, String, String, Int).self)
        {
            attempts[entryID, default: []].append(
                LogEntry.Attempt(
                    number: number, at: at, outcome: outcome, request: request, response: response, durationMS: duration
                ))
        }
        return entries.map { entry in
            var entry = entry
            entry.attempts = attempts[entry.id] ?? []
            return entry
        }
    }

    /// How far an outcome moved its entry: later attempts first, then the status rank within an attempt.
    static func progress(_ outcome: Outcome) -> Int { outcome.attemptNumber * 4 + outcome.status.rank }

    static let columns = """
        seq, id, event_id, trigger, test, customer_email, product_id, rule_id, integration_id, integration_label, \
        connector, action, destination::text, status, reason, created_at, updated_at
        """

    static func decode(_ row: PostgresRow) throws -> (seq: Int64, entry: LogEntry) {
        let c = row.makeRandomAccess()
        guard let status = LogStatus(rawValue: try c[13].decode(String.self)) else {
            throw StorageError(code: .corruptData, message: "log entry has an unknown status")
        }
        let destination = try c[12].decode(String?.self).map {
            try MessageCoding.decode(Destination.self, from: Array($0.utf8))
        }
        let entry = LogEntry(
            id: try c[1].decode(String.self), eventID: try c[2].decode(String.self),
            trigger: try c[3].decode(String?.self),
            test: try c[4].decode(Bool.self), customerEmail: try c[5].decode(String.self),
            productID: try c[6].decode(String?.self), ruleID: try c[7].decode(String?.self),
            integrationID: try c[8].decode(String?.self), integrationLabel: try c[9].decode(String?.self),
            connector: try c[10].decode(String?.self), action: try c[11].decode(String?.self), destination: destination,
            status: status, reason: try c[14].decode(String.self), attempts: [],
            createdAt: try c[15].decode(Date.self), updatedAt: try c[16].decode(Date.self))
        return (try c[0].decode(Int64.self), entry)
    }
}

/// The row shape `jsonb_to_recordset` reads for an entry.
private struct EntryRow: Encodable {
    var id, marketplace_id, event_id: String
    var trigger: String?
    var test: Bool
    var customer_email: String
    var product_id, rule_id, integration_id, integration_label, connector, action: String?
    var destination: Destination?
    var status, reason: String
    var progress: Int
    var at: Date
    var event: TriggerEvent?
    var rule: RuleSnapshot?

    init(_ outcome: Outcome) {
        id = outcome.entryID
        marketplace_id = outcome.marketplaceID
        event_id = outcome.eventID
        trigger = outcome.trigger?.rawValue
        test = outcome.test
        customer_email = outcome.customerEmail
        product_id = outcome.productID
        rule_id = outcome.rule?.id
        integration_id = outcome.rule?.integrationID
        integration_label = outcome.rule?.integrationLabel
        connector = outcome.rule?.connector
        action = outcome.rule?.action
        destination = outcome.rule?.destination
        status = outcome.status.rawValue
        reason = outcome.reason
        progress = LogStore.progress(outcome)
        at = outcome.at
        event = outcome.event
        rule = outcome.rule
    }
}

/// The row shape `jsonb_to_recordset` reads for an attempt.
private struct AttemptRow: Encodable {
    var entry_id: String
    var number: Int
    var at: Date
    var outcome, request, response: String
    var duration_ms: Int

    init(entryID: String, number: Int, attempt: Outcome.Attempt) {
        entry_id = entryID
        self.number = number
        at = attempt.at
        outcome = attempt.outcome.rawValue
        request = attempt.request
        response = attempt.response
        duration_ms = attempt.durationMS
    }
}
