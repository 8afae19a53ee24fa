import Foundation

/// Everything one run measured, printed as a table and written as JSON with the same fields.
struct BenchReport: Codable, Sendable {
    /// A target from the issue and whether this run met it (printed, never asserted).
    struct Target: Codable, Sendable {
        var name: String
        var goal: String
        var measured: String
        var met: Bool
    }

    /// Ingest and end-to-end throughput as shares of what the broker alone carries.
    struct Ratios: Codable, Sendable {
        /// Broker publishes per event with one matching rule: trigger, pending outcome, command, final outcome.
        var brokerHopsPerEvent: Int
        var ingestToCeiling: Double
        var endToEndToCeilingPerHop: Double
    }

    var startedAt: String
    var command: String
    var build: String
    var machine: MachineInfo
    var eventBytes: Int
    var broker: BrokerCeiling.Result
    var ingest: LoadGenerator.IngestResult
    /// Ingest is measured with a marketplace that has no rules; matcher and log service still record a
    /// "skipped" entry per event while it runs.
    var ingestNote: String
    var endToEndFixedRate: LoadGenerator.EndToEndResult
    var endToEndSustained: LoadGenerator.EndToEndResult
    var scaleOutAnswerDelayMs: Int
    var scaleOut: [LoadGenerator.EndToEndResult]
    var memory: [ProcessMemory.Figures]
    /// CPU time per event of each process, and the log service's batch sizes, per phase.
    var costs: [PhaseCost]
    var ratios: Ratios
    var targets: [Target]
    /// Accepted events that never reached the receiver.
    var lostEvents: Int
    /// Whether the log service wrote every phase's entries.
    var logsComplete: Bool

    /// The human-readable table.
    func table() -> String {
        var lines: [String] = []
        func row(_ label: String, _ value: String) {
            lines.append(label.padding(toLength: 44, withPad: " ", startingAt: 0) + value)
        }
        lines.append("Switchyard benchmark — \(startedAt) (\(build) build)")
        lines.append(
            "machine: \(machine.cpus) CPUs (\(machine.cpuModel)), \(machine.memoryMB) MB RAM, "
                + "Linux \(machine.kernel)")
        lines.append("event: \(eventBytes) bytes of JSON; broker message \(broker.messageBytes) bytes")
        lines.append(String(repeating: "-", count: 100))
        row(
            "broker ceiling (quorum, confirms, acks)",
            "\(rate(broker.messagesPerSecond)) msg/s "
                + "(publish \(rate(broker.publishPerSecond)) msg/s, \(broker.published) messages)")
        row(
            "ingest (202 from gateway, \(ingest.concurrency) conns)",
            "\(rate(ingest.eventsPerSecond)) ev/s, "
                + "p50 \(ms(ingest.acceptLatencyMs.p50)), p99 \(ms(ingest.acceptLatencyMs.p99)) "
                + "(\(ingest.accepted) accepted, \(ingest.refused) refused)")
        row("  ingest ÷ broker ceiling", percent(ratios.ingestToCeiling))
        for (label, result) in [
            ("e2e at fixed offered rate", endToEndFixedRate),
            ("e2e sustained (highest carried)", endToEndSustained),
        ] {
            row(label, endToEnd(result))
        }
        row("  e2e ÷ (ceiling ÷ \(ratios.brokerHopsPerEvent) hops)", percent(ratios.endToEndToCeilingPerHop))
        for result in scaleOut {
            row(
                "scale-out: \(result.webhookWorkers) worker(s), receiver \(scaleOutAnswerDelayMs) ms",
                endToEnd(result))
        }
        lines.append(String(repeating: "-", count: 100))
        lines.append("resident memory (MB)      idle     peak")
        for figure in memory {
            let idle = figure.idleMB.map { String(format: "%8.1f", $0) } ?? "       -"
            lines.append(
                figure.process.padding(toLength: 22, withPad: " ", startingAt: 0)
                    + "  \(idle) \(String(format: "%8.1f", figure.peakMB))")
        }
        lines.append(String(repeating: "-", count: 100))
        lines += costTable()
        lines.append(String(repeating: "-", count: 100))
        lines.append("targets (printed, not asserted)")
        for target in targets {
            lines.append(
                "  [\(target.met ? "met" : "MISSED")] \(target.name): \(target.goal), "
                    + "measured \(target.measured)")
        }
        lines.append(
            lostEvents == 0
                ? "every accepted event was delivered"
                : "LOST: \(lostEvents) accepted event(s) never reached the receiver")
        lines.append(
            logsComplete
                ? "every phase's log entries were written"
                : "LOGS BEHIND: the log service did not write every entry in time")
        return lines.joined(separator: "\n")
    }

    /// CPU milliseconds per event, one column per phase, one row per process group.
    private func costTable() -> [String] {
        guard !costs.isEmpty else { return [] }
        func cell(_ text: String) -> String {
            String(repeating: " ", count: max(0, 10 - text.count)) + text
        }
        var lines = ["CPU ms per event (user+system, /proc; phase incl. catch-up)"]
        lines.append("".padding(toLength: 22, withPad: " ", startingAt: 0) + costs.map { cell($0.phase) }.joined())
        let known = ProcessCPU.displayOrder
        let others = Set(costs.flatMap(\.cpuMsPerEvent.keys)).subtracting(known).sorted()
        for group in known + others where costs.contains(where: { $0.cpuMsPerEvent[group] != nil }) {
            if group == ProcessCPU.benchGroup {
                lines.append(
                    "  stack, all but bench".padding(toLength: 22, withPad: " ", startingAt: 0)
                        + costs.map { cell(String(format: "%.3f", $0.stackCpuMsPerEvent)) }.joined())
            }
            lines.append(
                "  \(group)".padding(toLength: 22, withPad: " ", startingAt: 0)
                    + costs.map { cost in cell(cost.cpuMsPerEvent[group].map { String(format: "%.3f", $0) } ?? "-") }
                    .joined())
        }
        lines.append(
            "  events".padding(toLength: 22, withPad: " ", startingAt: 0)
                + costs.map { cell("\($0.events)") }.joined())
        lines.append(
            "  log outcomes/batch".padding(toLength: 22, withPad: " ", startingAt: 0)
                + costs.map { cell($0.logOutcomesPerBatch.map { String(format: "%.1f", $0) } ?? "-") }.joined())
        return lines
    }

    private func endToEnd(_ result: LoadGenerator.EndToEndResult) -> String {
        let offered = result.offeredPerSecond.map { "offered \(rate($0)) ev/s → " } ?? ""
        return "\(offered)\(rate(result.eventsPerSecond)) ev/s; p50 \(ms(result.latencyMs.p50)) "
            + "p90 \(ms(result.latencyMs.p90)) p99 \(ms(result.latencyMs.p99)) max \(ms(result.latencyMs.max)) "
            + "(\(result.delivered)/\(result.accepted) delivered\(result.logged ? ", logged" : ", LOGS BEHIND"))"
    }

    private func rate(_ value: Double) -> String { String(format: "%.0f", value) }
    private func ms(_ value: Double) -> String { String(format: "%.1f ms", value) }
    private func percent(_ value: Double) -> String { String(format: "%.1f %%", value * 100) }
}
