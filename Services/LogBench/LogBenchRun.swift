import Foundation
import Logging
import Messages
import PostgresNIO
import Storage

/// One benchmark run: the bulk fill and the timed searches.
struct LogBenchRun: Sendable {
    let client: PostgresClient
    let store: LogStore
    let logger: Logger
    let entries: Int
    let marketplaces: Int
    let queries: Int

    static let triggers = ["product.purchased", "product.refunded", "subscription.cancelled", "order.completed"]
    static let statuses = ["success", "failed", "retrying", "pending", "skipped"]
    /// Entries are spread one second apart, ending now.
    static let spacing: TimeInterval = 1

    /// Inserts the entries (and one attempt each) in one `INSERT … SELECT generate_series`, unless a previous
    /// run already did. Values cycle so that each filter has a realistic selectivity: 5,000 customers, 50
    /// products, 3 integrations per marketplace, 4 triggers, 5 statuses.
    func fill() async throws {
        let existing = try await count()
        guard existing < entries else {
            print("database already holds \(existing) bench entries; measuring")
            return
        }
        try await client.query("DELETE FROM log_entries WHERE id LIKE 'bench\\_%'", logger: logger)
        let started = ContinuousClock.now
        try await client.query(
            """
            INSERT INTO log_entries (id, marketplace_id, event_id, trigger, test, customer_email, product_id,
                rule_id, integration_id, integration_label, connector, action, destination, status, reason, progress,
                created_at, updated_at)
            SELECT 'bench_' || g, 'bench_mkt_' || (g % \(marketplaces)), 'evt_' || (g / 2), \
            (\(Self.triggers))[1 + g % 4], false,
                'Customer' || ((g / \(marketplaces)) % 5000) || '@Example.com', 'prod_' || ((g / 7) % 50),
                'rule_' || (g % 3), 'int_' || (g % \(marketplaces)) || '_' || ((g / 3) % 3), 'Webhook', 'webhook',
                'post', '{"kind":"url","name":"https://example.com/hook"}'::jsonb,
                (\(Self.statuses))[1 + (g / 11) % 5], 'Delivered.', 6,
                now() - make_interval(secs => (\(entries) - g) * \(Self.spacing)),
                now() - make_interval(secs => (\(entries) - g) * \(Self.spacing))
            FROM generate_series(1, \(entries)) AS g
            ORDER BY g
            """, logger: logger)
        try await client.query(
            """
            INSERT INTO log_attempts (entry_id, number, at, outcome, request, response, duration_ms)
            SELECT id, 1, created_at, 'success', 'POST https://example.com/hook (812 bytes)', '204', 42
            FROM log_entries WHERE id LIKE 'bench\\_%'
            """, logger: logger)
        try await client.query("ANALYZE log_entries", logger: logger)
        try await client.query("ANALYZE log_attempts", logger: logger)
        print("filled \(entries) entries in \(ContinuousClock.now - started)")
    }

    private func count() async throws -> Int {
        let rows = try await client.query("SELECT count(*) FROM log_entries WHERE id LIKE 'bench\\_%'", logger: logger)
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }

    /// Runs `queries` searches per filter, each for a random marketplace and value, and prints p50 and p99.
    func measure() async throws {
        let horizon = Date()
        var cases: [(name: String, make: (inout SystemRandomNumberGenerator) -> (String, LogQuery))] = []
        func marketplace(_ random: inout SystemRandomNumberGenerator) -> Int {
            Int.random(in: 0..<marketplaces, using: &random)
        }
        cases.append(("newest page (no filter)", { r in ("bench_mkt_\(marketplace(&r))", LogQuery()) }))
        cases.append(
            (
                "email",
                { r in
                    (
                        "bench_mkt_\(marketplace(&r))",
                        LogQuery(email: "customer\(Int.random(in: 0..<5000, using: &r))@example.com")
                    )
                }
            ))
        cases.append(
            (
                "trigger",
                { r in ("bench_mkt_\(marketplace(&r))", LogQuery(trigger: Self.triggers.randomElement(using: &r))) }
            ))
        cases.append(
            (
                "status",
                { r in
                    (
                        "bench_mkt_\(marketplace(&r))",
                        LogQuery(status: LogStatus(rawValue: Self.statuses.randomElement(using: &r) ?? "failed"))
                    )
                }
            ))
        cases.append(
            (
                "integration",
                { r in
                    let m = marketplace(&r)
                    return ("bench_mkt_\(m)", LogQuery(integrationID: "int_\(m)_\(Int.random(in: 0..<3, using: &r))"))
                }
            ))
        cases.append(
            (
                "product",
                { r in
                    ("bench_mkt_\(marketplace(&r))", LogQuery(productID: "prod_\(Int.random(in: 0..<50, using: &r))"))
                }
            ))
        cases.append(
            (
                "event id",
                { r in
                    let g = Int.random(in: 1...entries, using: &r)
                    return ("bench_mkt_\(g % marketplaces)", LogQuery(eventID: "evt_\(g / 2)"))
                }
            ))
        cases.append(
            (
                "time range (1 day, random)",
                { r in
                    let daysBack = Double(Int.random(in: 0..<(entries / 86_400 + 1), using: &r))
                    let until = horizon.addingTimeInterval(-daysBack * 86_400)
                    return (
                        "bench_mkt_\(marketplace(&r))", LogQuery(since: until.addingTimeInterval(-86_400), until: until)
                    )
                }
            ))
        cases.append(
            (
                "status + trigger",
                { r in
                    (
                        "bench_mkt_\(marketplace(&r))",
                        LogQuery(trigger: Self.triggers.randomElement(using: &r), status: .failed)
                    )
                }
            ))
        cases.append(
            (
                "email + status (rare)",
                { r in
                    (
                        "bench_mkt_\(marketplace(&r))",
                        LogQuery(email: "customer\(Int.random(in: 0..<5000, using: &r))@example.com", status: .retrying)
                    )
                }
            ))
        cases.append(
            (
                "second page (cursor)",
                { r in
                    (
                        "bench_mkt_\(marketplace(&r))",
                        LogQuery(before: Int64(Int.random(in: entries / 2...entries, using: &r)))
                    )
                }
            ))
        print("filter                         p50 ms   p99 ms   max ms  rows/page")
        var random = SystemRandomNumberGenerator()
        for (name, make) in cases {
            var timings: [Double] = []
            var rows = 0
            for _ in 0..<queries {
                let (marketplaceID, query) = make(&random)
                let started = ContinuousClock.now
                let page = try await store.search(marketplaceID: marketplaceID, query)
                let elapsed = ContinuousClock.now - started
                timings.append(
                    Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                rows += page.entries.count
            }
            timings.sort()
            func percentile(_ p: Double) -> Double { timings[min(timings.count - 1, Int(Double(timings.count) * p))] }
            print(
                name.padding(toLength: 30, withPad: " ", startingAt: 0)
                    + String(
                        format: " %7.2f  %7.2f  %7.2f  %9.1f", percentile(0.5), percentile(0.99), timings.last ?? 0,
                        Double(rows) / Double(queries)))
        }
    }
}
