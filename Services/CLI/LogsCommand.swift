import ArgumentParser
import Foundation
import LogServiceAPI

/// `switchyard logs search|show|replay|replay-failed`: the integration log.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "What happened to each event, and why.",
        subcommands: [Search.self, Show.self, Replay.self, ReplayFailed.self])

    typealias Entry = Components.Schemas.LogEntry

    static var columns: [Table.Column<Entry>] {
        [
            ("ID", { $0.id }), ("CREATED", { $0.createdAt.rfc3339 }), ("EVENT", { $0.eventId }),
            ("TRIGGER", { $0.trigger }), ("EMAIL", { $0.customerEmail }), ("INTEGRATION", { $0.integrationLabel }),
            ("STATUS", { $0.status.rawValue }), ("REASON", { $0.reason }),
        ]
    }

    /// An RFC 3339 time from a flag, or a usage error naming the flag.
    static func time(_ text: String?, flag: String) throws -> Date? {
        guard let text else { return nil }
        guard
            let date = (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
                ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
        else { throw CLIError.usage("\(flag) must be an RFC 3339 time such as 2026-11-21T10:00:00Z, not \"\(text)\"") }
        return date
    }

    /// Searches the log, newest first.
    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search log entries, newest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Customer email (case-insensitive).") var email: String?
        @Option(help: "Trigger type.") var trigger: String?
        @Option(help: "pending, success, retrying, failed or skipped.") var status: String?
        @Option(help: "Integration id.") var integrationID: String?
        @Option(help: "Product id.") var productID: String?
        @Option(help: "Event id.") var eventID: String?
        @Option(help: "Entries created at or after this RFC 3339 time.") var since: String?
        @Option(help: "Entries created before this RFC 3339 time.") var until: String?
        @Option(help: "Entries per page (1–500).") var limit: Int?
        @Option(help: "The next_cursor of a previous page.") var cursor: String?

        func run() async throws {
            let query = Operations.SearchLogs.Input.Query(
                email: email, trigger: try trigger.map { try CLIError.parse($0, as: "--trigger") },
                status: try status.map { try CLIError.parse($0, as: "--status") }, integrationId: integrationID,
                productId: productID, eventId: eventID, since: try LogsCommand.time(since, flag: "--since"),
                until: try LogsCommand.time(until, flag: "--until"), limit: limit, cursor: cursor)
            let answer = try await options.logs().searchLogs(query: query).ok.body.json
            try options.output(answer) { page in
                var text = Table.render(page.entries, columns: LogsCommand.columns)
                if let next = page.nextCursor { text += "\nmore: --cursor \(next)" }
                return text
            }
        }
    }

    /// Shows one entry and every attempt.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one entry with every attempt.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The log entry id.") var id: String

        func run() async throws {
            let answer = try await options.logs().getLogEntry(path: .init(id: id)).ok.body.json
            try options.output(answer) { entry in
                let record = Table.record([
                    "id": entry.id, "event_id": entry.eventId, "trigger": entry.trigger,
                    "customer_email": entry.customerEmail, "product_id": entry.productId, "rule_id": entry.ruleId,
                    "integration_label": entry.integrationLabel, "connector": entry.connector, "action": entry.action,
                    "destination": entry.destination.map { "\($0.kind.rawValue) \($0.name)" },
                    "status": entry.status.rawValue, "reason": entry.reason, "created_at": entry.createdAt.rfc3339,
                    "updated_at": entry.updatedAt.rfc3339,
                ])
                let attempts = Table.render(
                    entry.attempts,
                    columns: [
                        ("#", { String($0.number) }), ("AT", { $0.at.rfc3339 }), ("OUTCOME", { $0.outcome }),
                        ("MS", { String($0.durationMs) }), ("REQUEST", { $0.request }), ("RESPONSE", { $0.response }),
                    ])
                return record + "\n\nattempts:\n" + attempts
            }
        }
    }

    /// Performs a failed entry's action again.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Perform a failed entry's action again.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The log entry id.") var id: String

        func run() async throws {
            let answer = try await options.logs().replayLogEntry(path: .init(id: id)).accepted.body.json
            try options.output(answer) {
                Table.record([
                    "id": $0.id, "status": $0.status.rawValue, "attempt": String($0.attempt),
                    "replay": String($0.replay),
                ])
            }
        }
    }

    /// Replays every failed entry matching the filters (bounded), e.g. all failed of one integration since a time.
    struct ReplayFailed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay-failed",
            abstract: "Perform the actions of the failed entries matching the filters again (at most --limit).")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Customer email (case-insensitive).") var email: String?
        @Option(help: "Trigger type.") var trigger: String?
        @Option(help: "Integration id.") var integrationID: String?
        @Option(help: "Product id.") var productID: String?
        @Option(help: "Event id.") var eventID: String?
        @Option(help: "Entries created at or after this RFC 3339 time.") var since: String?
        @Option(help: "Entries created before this RFC 3339 time.") var until: String?
        @Option(help: "The most entries to replay (1–500, default 100).") var limit: Int?

        func run() async throws {
            let query = Operations.ReplayLogEntries.Input.Query(
                email: email, trigger: try trigger.map { try CLIError.parse($0, as: "--trigger") },
                integrationId: integrationID, productId: productID, eventId: eventID,
                since: try LogsCommand.time(since, flag: "--since"),
                until: try LogsCommand.time(until, flag: "--until"), limit: limit)
            let answer = try await options.logs().replayLogEntries(query: query).accepted.body.json
            try options.output(answer) { value in
                "queued \(value.queued) replays" + (value.more ? " (more matched: run it again)" : "")
            }
        }
    }
}
