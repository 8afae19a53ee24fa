import ArgumentParser

/// `switchyard logs search|show|replay|replay-failed`: the integration log.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "What happened to each event, and why.",
        subcommands: [Search.self, Show.self, Replay.self, ReplayFailed.self])

    static let columns: [(header: String, key: String)] = [
        ("ID", "id"), ("CREATED", "created_at"), ("EVENT", "event_id"), ("TRIGGER", "trigger"),
        ("EMAIL", "customer_email"), ("INTEGRATION", "integration_label"), ("STATUS", "status"), ("REASON", "reason"),
    ]

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
            let answer = try await options.logs().send(
                .GET, "/v1/logs",
                query: [
                    ("email", email), ("trigger", trigger), ("status", status), ("integration_id", integrationID),
                    ("product_id", productID), ("event_id", eventID), ("since", since), ("until", until),
                    ("limit", limit.map { String($0) }), ("cursor", cursor),
                ])
            options.output(answer) { value in
                var text = Table.render(value["entries"]?.array ?? [], columns: LogsCommand.columns)
                if let next = value["next_cursor"]?.text { text += "\nmore: --cursor \(next)" }
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
            let answer = try await options.logs().send(.GET, "/v1/logs/\(id.pathEscaped)")
            options.output(answer) { value in
                let entry = Table.record(
                    value,
                    keys: [
                        "id", "event_id", "trigger", "customer_email", "product_id", "rule_id", "integration_label",
                        "connector", "action", "destination", "status", "reason", "created_at", "updated_at",
                    ])
                let attempts = Table.render(
                    value["attempts"]?.array ?? [],
                    columns: [
                        ("#", "number"), ("AT", "at"), ("OUTCOME", "outcome"), ("MS", "duration_ms"),
                        ("REQUEST", "request"), ("RESPONSE", "response"),
                    ])
                return entry + "\n\nattempts:\n" + attempts
            }
        }
    }

    /// Performs a failed entry's action again.
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Perform a failed entry's action again.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The log entry id.") var id: String

        func run() async throws {
            let answer = try await options.logs().send(.POST, "/v1/logs/\(id.pathEscaped)/replay")
            options.output(answer) { Table.record($0, keys: ["id", "status", "attempt", "replay"]) }
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
            let answer = try await options.logs().send(
                .POST, "/v1/logs/replay",
                query: [
                    ("email", email), ("trigger", trigger), ("integration_id", integrationID),
                    ("product_id", productID), ("event_id", eventID), ("since", since), ("until", until),
                    ("limit", limit.map { String($0) }),
                ])
            options.output(answer) { value in
                let queued = value["queued"]?.text ?? "0"
                let more = value["more"]?.text == "true" ? " (more matched: run it again)" : ""
                return "queued \(queued) replays\(more)"
            }
        }
    }
}
