/// The targets for a 2-core machine, compared with a run's figures. Printed every run, never asserted:
/// timings depend on the machine and on what else runs on it.
enum BenchTargets {
    /// The Swift services: extra webhook workers count too, the demo receiver (Python) does not.
    static func isSwiftService(_ process: String) -> Bool {
        ["gateway", "matcher", "webhook-worker", "log-service"].contains { process.hasPrefix($0) }
    }

    static func evaluate(
        ingest: LoadGenerator.IngestResult, fixed: LoadGenerator.EndToEndResult,
        sustained: LoadGenerator.EndToEndResult,
        memory: [ProcessMemory.Figures]
    ) -> [BenchReport.Target] {
        let services = memory.filter { isSwiftService($0.process) }
        let idle = services.compactMap(\.idleMB).max() ?? 0
        let peak = services.map(\.peakMB).max() ?? 0
        func format(_ value: Double, _ unit: String) -> String { "\(Int(value.rounded())) \(unit)" }
        return [
            .init(
                name: "ingest", goal: "≥ 5000 ev/s", measured: format(ingest.eventsPerSecond, "ev/s"),
                met: ingest.eventsPerSecond >= 5000),
            .init(
                name: "accept latency p99", goal: "≤ 25 ms", measured: format(ingest.acceptLatencyMs.p99, "ms"),
                met: ingest.acceptLatencyMs.p99 <= 25),
            .init(
                name: "end to end", goal: "≥ 2000 ev/s, all delivered and logged",
                measured: format(sustained.eventsPerSecond, "ev/s"),
                met: sustained.eventsPerSecond >= 2000 && sustained.delivered == sustained.accepted
                    && sustained.logged),
            .init(
                name: "e2e p99 at \(Int(fixed.offeredPerSecond ?? 0)) ev/s offered", goal: "≤ 100 ms at 500 ev/s",
                measured: format(fixed.latencyMs.p99, "ms"),
                met: fixed.latencyMs.p99 <= 100 && (fixed.offeredPerSecond ?? 0) >= 500),
            .init(
                name: "largest Swift service RSS idle", goal: "≤ 50 MB", measured: format(idle, "MB"),
                met: idle <= 50),
            .init(
                name: "largest Swift service RSS peak", goal: "≤ 150 MB", measured: format(peak, "MB"),
                met: peak <= 150),
        ]
    }
}
