import Foundation
import Logging
import Pipeline
import PostgresNIO
import ServiceRuntime
import Storage
import Testing

/// What every process's batched writes rely on when PostgreSQL restarts under load: each write that was in
/// flight fails or succeeds within seconds, and writes go on once the server is back. (A write that waits for
/// ever holds every later batch of its writer: that is how a restart once left log entries pending for good.)
extension Integration {
    @Suite struct DatabaseRestartTests {
        @Test(
            "batched writes under load resume within seconds of a PostgreSQL restart; none waits for ever",
            .enabled(if: TestEnvironment.canRunChaos, "needs SWITCHYARD_TEST_DATABASE_STOP/START (deploy/local/test)"),
            .timeLimit(.minutes(3)))
        func writesResumeAfterRestart() async throws {
            let url = try #require(TestEnvironment.databaseURL)
            let logger = {
                var logger = Logger(label: "test.database-restart")
                logger.logLevel = .error
                return logger
            }()
            let configuration = try DatabaseConfiguration(url: url, maximumConnections: 4)
            let client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
            let table = "restart_probe_\(UInt32.random(in: 0...UInt32.max))"
            let tracker = WriteTracker()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                try await client.query(PostgresQuery(unsafeSQL: "CREATE TABLE \(table) (id bigint PRIMARY KEY)"))
                let writer = BatchWriter<Int64, Void>(maximumBatch: 100, maximumConcurrentFlushes: 2) { ids in
                    try await client.withTransaction(logger: logger) { connection in
                        let list = ids.map(String.init).joined(separator: ",")
                        try await connection.query(
                            PostgresQuery(
                                unsafeSQL: "INSERT INTO \(table) SELECT unnest(ARRAY[\(list)]::bigint[]) "
                                    + "ON CONFLICT DO NOTHING"),
                            logger: logger)
                    }
                    return ids.map { _ in () }
                }
                let submitters = 24
                for submitter in 0..<submitters {
                    group.addTask {
                        var next = Int64(submitter) * 1_000_000
                        while await !tracker.stopped {
                            next += 1
                            let id = next
                            try await tracker.track(submitter) {
                                try await retryingTransientFailures(logger: logger, what: "probe write") {
                                    try await writer.submit(id)
                                }
                            }
                        }
                    }
                }
                try await Task.sleep(for: .seconds(3))
                // Twice: the first restart did not always leave a write waiting, the second nearly always did.
                for round in 1...2 {
                    let before = await tracker.completed
                    #expect(before > 0, "no write completed before restart \(round)")
                    try await TestEnvironment.runAsync(shell: try #require(TestEnvironment.databaseStop))
                    try await Task.sleep(for: .seconds(2))
                    try await TestEnvironment.runAsync(shell: try #require(TestEnvironment.databaseStart))
                    let restarted = ContinuousClock.now
                    // A stuck flush is given up after BatchWriter's 10 s flush timeout; its items are then retried.
                    let resumed = try await tracker.waitUntilEverySubmitterCompletes(
                        after: restarted, count: submitters, timeout: .seconds(25))
                    let report = await tracker.report()
                    #expect(resumed, "not every writer resumed within 25 s of restart \(round): \(report)")
                    try await Task.sleep(for: .seconds(2))
                }
                await tracker.stop()
                try await client.query(PostgresQuery(unsafeSQL: "DROP TABLE \(table)"))
            }
        }
    }
}

/// Counts completed writes per submitter and keeps the start of each write still open.
private actor WriteTracker {
    private(set) var completed = 0
    private(set) var stopped = false
    private var lastCompletion: [Int: ContinuousClock.Instant] = [:]
    private var open: [Int: ContinuousClock.Instant] = [:]

    func track(_ submitter: Int, _ write: @Sendable () async throws -> Void) async throws {
        open[submitter] = .now
        defer { open[submitter] = nil }
        try await write()
        completed += 1
        lastCompletion[submitter] = .now
    }

    func stop() { stopped = true }

    func report() -> String {
        "\(completed) writes done; open: \(open.mapValues { "\(ContinuousClock.now - $0)" })"
    }

    func waitUntilEverySubmitterCompletes(after instant: ContinuousClock.Instant, count: Int, timeout: Duration)
        async throws -> Bool
    {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if lastCompletion.values.filter({ $0 > instant }).count >= count { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
