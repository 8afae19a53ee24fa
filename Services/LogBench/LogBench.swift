import Foundation
import Logging
import Messages
import PostgresNIO
import Storage

/// `switchyard-log-bench`: fills a database with log entries across many marketplaces and measures the log
/// service's search query per filter (p50/p99). Not a test: run it by hand and record the figures in
/// `docs/log-query-benchmark.md`.
///
/// Environment: `SWITCHYARD_DATABASE_URL` (a database it may fill; default the local one),
/// `BENCH_ENTRIES` (1000000), `BENCH_MARKETPLACES` (1000), `BENCH_QUERIES` (300 per filter).
@main
struct LogBench {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        let url = environment["SWITCHYARD_DATABASE_URL"] ?? "postgres://switchyard:switchyard@127.0.0.1:5432/switchyard"
        let entries = Int(environment["BENCH_ENTRIES"] ?? "") ?? 1_000_000
        let marketplaces = Int(environment["BENCH_MARKETPLACES"] ?? "") ?? 1000
        let queries = Int(environment["BENCH_QUERIES"] ?? "") ?? 300
        var logger = Logger(label: "switchyard.log-bench")
        logger.logLevel = .warning
        let configuration = try DatabaseConfiguration(url: url)
        try await Database.migrate(configuration, logger: logger)
        let client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let bench = LogBenchRun(
                client: client, store: LogStore(client: client, logger: logger), logger: logger, entries: entries,
                marketplaces: marketplaces, queries: queries)
            try await bench.fill()
            try await bench.measure()
        }
    }
}
