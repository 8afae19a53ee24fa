import AsyncHTTPClient
import Foundation
import Logging
import Messages

/// One benchmark run, phase by phase, against a running stack.
struct BenchRun {
    /// Everything a run needs, from the command line and the environment.
    struct Settings: Sendable {
        var gatewayURL: String
        var logsURL: String
        var adminToken: String
        var amqpURL: String
        var amqpPrefix: String
        var duration: Duration
        var rate: Double
        var eventSize: Int
        var ingestConcurrency: Int
        var e2eConcurrency: Int
        var backlog: Int
        var brokerPublishers: Int
        var workerCounts: [Int]
        var answerDelayMs: Int
        var output: String
        var root: String
        var build: String
        var command: String
    }

    let settings: Settings
    let logger: Logger

    /// Runs every phase and writes the JSON results; returns the report for printing.
    func run() async throws -> BenchReport {
        let startedAt = RFC3339.string(from: Date())
        let memory = ProcessMemory(runDirectory: "\(settings.root)/.switchyard/run")
        let workers = WorkerScaler(root: settings.root, logger: logger)
        // The stack as `up` left it: one webhook worker, nothing in flight.
        if !settings.workerCounts.isEmpty { try await workers.scale(toTotal: 1) }
        memory.recordIdle()

        let receiver = BenchReceiver()
        let http = PipelineClient.makeHTTPClient(
            connections: max(settings.ingestConcurrency, settings.e2eConcurrency) + 8)
        let client = PipelineClient(http: http, gatewayURL: settings.gatewayURL, logsURL: settings.logsURL)
        do {
            let report = try await withThrowingTaskGroup(of: Void.self, returning: BenchReport.self) { group in
                group.addTask { try await receiver.run(port: 0, logger: logger) }
                group.addTask { await memory.sampleUntilCancelled() }
                defer { group.cancelAll() }
                let port = try await receiver.waitUntilListening()
                return try await phases(
                    client: client, receiver: receiver, receiverPort: port, memory: memory,
                    workers: workers, startedAt: startedAt)
            }
            try await http.shutdown()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let url = URL(fileURLWithPath: settings.output)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true)
            try encoder.encode(report).write(to: url)
            return report
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    private func phases(
        client: PipelineClient, receiver: BenchReceiver, receiverPort: Int, memory: ProcessMemory,
        workers: WorkerScaler, startedAt: String
    ) async throws -> BenchReport {
        let runID = String(UUID().uuidString.prefix(8)).lowercased()
        let factory = EventFactory(runID: runID, eventSize: settings.eventSize)
        let logs = LogCatchUp(client: client)
        let load = LoadGenerator(client: client, factory: factory, receiver: receiver, logger: logger)

        let quiet = try await client.createMarketplace(
            name: "bench \(runID) (no rules)",
            adminToken: settings.adminToken)
        let busy = try await client.createMarketplace(name: "bench \(runID)", adminToken: settings.adminToken)
        try await client.addWebhookRule(
            to: busy, url: "http://127.0.0.1:\(receiverPort)/hook",
            label: "bench receiver \(runID)")

        let cpu = ProcessCPU(root: settings.root)
        var costs: [PhaseCost] = []
        logger.info("phase 1/5: broker ceiling")
        let payload = try factory.brokerPayload(marketplaceID: busy.id)
        // Its "events" are messages: RabbitMQ's CPU per message on its own, to compare with its share per event.
        let (broker, brokerCost) = try await PhaseCost.measure(
            "broker", cpu: cpu, client: client, events: \.published
        ) {
            try await BrokerCeiling(
                amqpURL: settings.amqpURL, prefix: settings.amqpPrefix,
                publishers: settings.brokerPublishers, logger: logger
            )
            .measure(payload: payload, duration: settings.duration)
        }
        costs.append(brokerCost)
        logger.info("phase 2/5: ingest")
        let ingestBaseline = try await logs.baseline()
        // Each event without a rule yields one "skipped" entry; wait for them so the next phase starts quiet
        // (and so the phase's CPU figures include the matcher's and the log service's share).
        let ((ingest, ingestLogged), ingestCost) = try await PhaseCost.measure(
            "ingest", cpu: cpu, client: client, events: { $0.0.accepted }
        ) {
            let ingest = await load.ingest(
                apiKey: quiet.apiKey, concurrency: settings.ingestConcurrency,
                duration: settings.duration)
            let logged = try await logs.waitUntilWritten(
                baseline: ingestBaseline, expected: ingest.accepted,
                lastEventID: nil, expectedStatus: "skipped",
                apiKey: quiet.apiKey)
            return (ingest, logged)
        }
        costs.append(ingestCost)

        logger.info("phase 3/5: end to end at \(settings.rate) events/s offered")
        let (fixed, fixedCost) = try await PhaseCost.measure(
            "fixed", cpu: cpu, client: client, events: \.accepted
        ) {
            try await load.openLoop(
                phase: "fixed", apiKey: busy.apiKey, rate: settings.rate,
                duration: settings.duration, workers: 1, logs: logs)
        }
        costs.append(fixedCost)
        logger.info("phase 4/5: end to end, sustained")
        let (sustained, sustainedCost) = try await PhaseCost.measure(
            "sustained", cpu: cpu, client: client, events: \.accepted
        ) {
            try await load.sustained(
                phase: "sustained", apiKey: busy.apiKey, concurrency: settings.e2eConcurrency,
                backlog: settings.backlog, duration: settings.duration, workers: 1, logs: logs)
        }
        costs.append(sustainedCost)

        logger.info("phase 5/5: scale-out \(settings.workerCounts)")
        var scaleOut: [LoadGenerator.EndToEndResult] = []
        receiver.setAnswerDelay(milliseconds: settings.answerDelayMs)
        for count in settings.workerCounts {
            try await workers.scale(toTotal: count)
            let (result, cost) = try await PhaseCost.measure(
                "scale\(count)", cpu: cpu, client: client, events: \.accepted
            ) {
                try await load.sustained(
                    phase: "scale\(count)", apiKey: busy.apiKey, concurrency: settings.e2eConcurrency,
                    backlog: settings.backlog, duration: settings.duration, workers: count, logs: logs)
            }
            scaleOut.append(result)
            costs.append(cost)
        }
        receiver.setAnswerDelay(milliseconds: 0)
        if !settings.workerCounts.isEmpty { try await workers.scale(toTotal: 1) }

        let endToEnd = [fixed, sustained] + scaleOut
        let lost = endToEnd.reduce(0) { $0 + ($1.accepted - $1.delivered) }
        let hops = 4
        let ratios = BenchReport.Ratios(
            brokerHopsPerEvent: hops, ingestToCeiling: ingest.eventsPerSecond / broker.messagesPerSecond,
            endToEndToCeilingPerHop: sustained.eventsPerSecond / (broker.messagesPerSecond / Double(hops)))
        let figures = memory.figures()
        return BenchReport(
            startedAt: startedAt, command: settings.command, build: settings.build, machine: MachineInfo.current(),
            eventBytes: factory.event(id: factory.id(phase: "size", index: 0)).readableBytes,
            broker: broker, ingest: ingest,
            ingestNote: "marketplace without rules; matcher and log service record a skipped entry per event "
                + "meanwhile",
            endToEndFixedRate: fixed, endToEndSustained: sustained, scaleOutAnswerDelayMs: settings.answerDelayMs,
            scaleOut: scaleOut, memory: figures, costs: costs, ratios: ratios,
            targets: BenchTargets.evaluate(ingest: ingest, fixed: fixed, sustained: sustained, memory: figures),
            lostEvents: lost, logsComplete: ingestLogged && endToEnd.allSatisfy(\.logged))
    }
}
