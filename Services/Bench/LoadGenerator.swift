import Foundation
import Logging

/// Drives events into the gateway in the three ways the benchmark needs: as fast as the gateway accepts them
/// (ingest), on a fixed schedule that does not wait for answers (open loop), and as fast as the whole pipeline
/// carries them with a bounded backlog (sustainable end-to-end rate).
struct LoadGenerator: Sendable {
    /// What the gateway alone accepted.
    struct IngestResult: Codable, Sendable {
        var concurrency: Int
        var accepted: Int
        var refused: Int
        var eventsPerSecond: Double
        var acceptLatencyMs: LatencySummary
    }

    /// What arrived at the receiver, and whether the log service wrote every entry.
    struct EndToEndResult: Codable, Sendable {
        /// Events per second on the send schedule (open loop), or nil when sending as fast as carried.
        var offeredPerSecond: Double?
        var webhookWorkers: Int
        var accepted: Int
        var refused: Int
        var delivered: Int
        var logged: Bool
        var eventsPerSecond: Double
        var latencyMs: LatencySummary
    }

    let client: PipelineClient
    let factory: EventFactory
    let receiver: BenchReceiver
    let logger: Logger

    /// Closed loop: `concurrency` keep-alive connections each send the next event as soon as the last is answered.
    func ingest(apiKey: String, concurrency: Int, duration: Duration) async -> IngestResult {
        let start = ContinuousClock.now
        let end = start.advanced(by: duration)
        let next = BenchCounter()
        let refused = BenchCounter()
        let latencies = await withTaskGroup(of: [Double].self, returning: [Double].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var latencies: [Double] = []
                    while ContinuousClock.now < end {
                        let index = next.increment()
                        let event = factory.event(id: factory.id(phase: "ingest", index: index))
                        let sent = ContinuousClock.now
                        if await client.publish(event, apiKey: apiKey) {
                            latencies.append((ContinuousClock.now - sent).benchMilliseconds)
                        } else {
                            refused.increment()
                        }
                    }
                    return latencies
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = (ContinuousClock.now - start).benchSeconds
        return IngestResult(
            concurrency: concurrency, accepted: latencies.count,
            refused: refused.value,
            eventsPerSecond: Double(latencies.count) / elapsed,
            acceptLatencyMs: LatencySummary(milliseconds: latencies))
    }

    /// Open loop: event `i` is sent at `start + i / rate` whether or not earlier ones were answered, and its
    /// latency counts from that scheduled time, so a stalled pipeline cannot hide its delays.
    func openLoop(
        phase: String, apiKey: String, rate: Double, duration: Duration, workers: Int,
        logs: LogCatchUp
    ) async throws -> EndToEndResult {
        let count = max(1, Int(rate * duration.benchSeconds))
        let interval = Duration.seconds(1 / rate)
        let sent = SendLog()
        let refused = BenchCounter()
        let baseline = try await logs.baseline()
        let start = ContinuousClock.now
        await withDiscardingTaskGroup { group in
            for index in 0..<count {
                let at = start.advanced(by: interval * index)
                try? await Task.sleep(until: at, clock: .continuous)
                let id = factory.id(phase: phase, index: index)
                group.addTask {
                    if await client.publish(factory.event(id: id), apiKey: apiKey) {
                        sent.append(id: id, at: at)
                    } else {
                        refused.increment()
                    }
                }
            }
        }
        return try await collect(
            sent: sent.all, refused: refused.value,
            start: start, offered: rate, workers: workers, apiKey: apiKey,
            logs: logs, baseline: baseline)
    }

    /// As fast as the pipeline carries events: `concurrency` senders, each pausing while more than `backlog`
    /// accepted events are still on their way to the receiver, so the rate measured is one the pipeline keeps up.
    func sustained(
        phase: String, apiKey: String, concurrency: Int, backlog: Int, duration: Duration,
        workers: Int, logs: LogCatchUp
    ) async throws -> EndToEndResult {
        let baseline = try await logs.baseline()
        let receivedBefore = receiver.receivedCount
        let start = ContinuousClock.now
        let end = start.advanced(by: duration)
        let next = BenchCounter()
        let acceptedCount = BenchCounter()
        let refused = BenchCounter()
        let sent = await withTaskGroup(of: [SendLog.Entry].self, returning: [SendLog.Entry].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var sent: [SendLog.Entry] = []
                    while ContinuousClock.now < end {
                        let inFlight =
                            acceptedCount.value
                            - (receiver.receivedCount - receivedBefore)
                        if inFlight >= backlog {
                            try? await Task.sleep(for: .milliseconds(2))
                            continue
                        }
                        let id = factory.id(phase: phase, index: next.increment())
                        let at = ContinuousClock.now
                        if await client.publish(factory.event(id: id), apiKey: apiKey) {
                            acceptedCount.increment()
                            sent.append(SendLog.Entry(id: id, at: at))
                        } else {
                            refused.increment()
                        }
                    }
                    return sent
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        return try await collect(
            sent: sent, refused: refused.value, start: start,
            offered: nil, workers: workers, apiKey: apiKey, logs: logs, baseline: baseline)
    }

    /// Waits for every accepted event to reach the receiver and for its log entries, then computes the figures.
    private func collect(
        sent: [SendLog.Entry], refused: Int,
        start: ContinuousClock.Instant, offered: Double?, workers: Int, apiKey: String,
        logs: LogCatchUp, baseline: Double
    ) async throws -> EndToEndResult {
        let ids = sent.map(\.id)
        let deadline = ContinuousClock.now.advanced(by: .seconds(120))
        var receipts = receiver.receiptTimes(of: ids)
        while receipts.count < ids.count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            receipts = receiver.receiptTimes(of: ids)
        }
        if receipts.count < ids.count {
            logger.error("events lost", metadata: ["accepted": "\(ids.count)", "delivered": "\(receipts.count)"])
        }
        // One rule per event: a pending and a final outcome each.
        let logged = try await logs.waitUntilWritten(
            baseline: baseline, expected: 2 * ids.count,
            lastEventID: ids.last, expectedStatus: "success", apiKey: apiKey)
        let latencies = sent.compactMap { sent in receipts[sent.id].map { ($0 - sent.at).benchMilliseconds } }
        let last = receipts.values.max() ?? start
        return EndToEndResult(
            offeredPerSecond: offered, webhookWorkers: workers, accepted: ids.count, refused: refused,
            delivered: receipts.count, logged: logged,
            eventsPerSecond: Double(receipts.count) / Swift.max((last - start).benchSeconds, 0.001),
            latencyMs: LatencySummary(milliseconds: latencies))
    }
}
