/// What one phase cost the stack, per event: CPU time of each process and the log service's write batching.
/// Read next to the throughput figures, these say where the time goes even when the machine is busy.
struct PhaseCost: Codable, Sendable {
    /// Which phase (`ingest`, `fixed`, `sustained`, `scale<N>`).
    var phase: String
    /// Events the phase carried (accepted by the gateway): the divisor.
    var events: Int
    /// Wall-clock seconds measured, including the wait until every event was delivered and logged.
    var seconds: Double
    /// CPU milliseconds (user + system) per event, by process group (`ProcessCPU.displayOrder`).
    var cpuMsPerEvent: [String: Double]
    /// The sum over the stack's processes, the benchmark's own load generator and receiver excluded.
    var stackCpuMsPerEvent: Double
    /// Outcomes the log service wrote during the phase, and in how many batches (one transaction each).
    var logOutcomes: Int
    var logBatches: Int
    /// Outcomes per log write transaction; nil when nothing was written.
    var logOutcomesPerBatch: Double?

    /// Measures `body` (a phase, including its catch-up) and returns its result with its cost; `events` reads
    /// the number of events from the result.
    static func measure<Output>(
        _ phase: String, cpu: ProcessCPU, client: PipelineClient, events: (Output) -> Int,
        _ body: () async throws -> Output
    ) async throws -> (Output, PhaseCost) {
        let logsBefore = try await client.logWriteCounters()
        let cpuBefore = cpu.snapshot()
        let start = ContinuousClock.now
        let result = try await body()
        let seconds = (ContinuousClock.now - start).benchSeconds
        let cpuAfter = cpu.snapshot()
        let logsAfter = try await client.logWriteCounters()
        let count = events(result)
        let outcomes = Int(logsAfter.outcomes - logsBefore.outcomes)
        let batches = Int(logsAfter.batches - logsBefore.batches)
        let perEvent = ProcessCPU.millisecondsPerEvent(events: count, from: cpuBefore, to: cpuAfter)
        return (
            result,
            PhaseCost(
                phase: phase, events: count, seconds: seconds, cpuMsPerEvent: perEvent,
                stackCpuMsPerEvent: perEvent.filter { $0.key != ProcessCPU.benchGroup }.values.reduce(0, +),
                logOutcomes: outcomes,
                logBatches: batches, logOutcomesPerBatch: batches > 0 ? Double(outcomes) / Double(batches) : nil)
        )
    }
}
