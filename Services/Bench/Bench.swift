import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging

/// `switchyard-bench`: measures the running local stack against the broker's own ceiling in one run.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-bench",
        abstract: "Measures a stack started by deploy/local/up: broker ceiling, ingest, end to end, scale-out, memory.",
        discussion: """
            Reads GATEWAY_URL, LOGS_URL, SWITCHYARD_ADMIN_TOKEN, SWITCHYARD_AMQP_URL and SWITCHYARD_AMQP_PREFIX \
            from the environment (source .switchyard/local.env, or run it through deploy/local/bench).
            """)

    @Option(help: "Seconds each measured phase sends events (and the broker ceiling publishes).")
    var duration: Double = 10

    @Option(help: "Offered events per second of the fixed-rate (open loop) end-to-end phase.")
    var rate: Double = 500

    @Option(help: "Size of each event's JSON in bytes (padded in the product name); 0 = natural size.")
    var eventSize: Int = 0

    @Option(help: "Concurrent keep-alive connections of the ingest phase.")
    var ingestConcurrency: Int = 64

    @Option(help: "Concurrent senders of the sustained end-to-end and scale-out phases.")
    var e2eConcurrency: Int = 32

    @Option(help: "Accepted-but-undelivered events allowed in the sustained phases before senders pause.")
    var backlog: Int = 2000

    @Option(help: "Concurrent publishers of the broker ceiling phase.")
    var brokerPublishers: Int = 256

    @Option(help: "Webhook worker counts of the scale-out phase, comma-separated (empty = skip the phase).")
    var workers: String = "1,2,4"

    @Option(help: "Milliseconds the receiver waits before answering in the scale-out phase.")
    var answerDelay: Int = 20

    @Option(help: "Where the JSON results are written.")
    var output: String = ".switchyard/bench/results.json"

    @Option(help: "The checkout whose .switchyard/run pid files and deploy/local/scale are used.")
    var root: String = "."

    @Option(help: "Label of the binaries measured (release or debug), recorded in the results.")
    var build: String = "release"

    @Flag(help: "CI mode: 2-second phases, 100 events/s offered, 1 and 2 workers; nothing is timed.")
    var short = false

    mutating func run() async throws {
        if short {
            duration = 2
            rate = 100
            workers = workers == "1,2,4" ? "1,2" : workers
        }
        let environment = ProcessInfo.processInfo.environment
        func required(_ name: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else {
                throw BenchError("\(name) is not set: source .switchyard/local.env or use deploy/local/bench")
            }
            return value
        }
        let settings = BenchRun.Settings(
            gatewayURL: try required("GATEWAY_URL"), logsURL: try required("LOGS_URL"),
            adminToken: try required("SWITCHYARD_ADMIN_TOKEN"), amqpURL: try required("SWITCHYARD_AMQP_URL"),
            amqpPrefix: environment["SWITCHYARD_AMQP_PREFIX"] ?? "switchyard",
            duration: .milliseconds(Int64(duration * 1000)), rate: rate, eventSize: eventSize,
            ingestConcurrency: ingestConcurrency, e2eConcurrency: e2eConcurrency, backlog: backlog,
            brokerPublishers: brokerPublishers,
            workerCounts: try workers.split(separator: ",").map { text in
                guard let count = Int(text.trimmingCharacters(in: .whitespaces)), count >= 1 else {
                    throw ValidationError("--workers takes positive counts like 1,2,4 (got '\(workers)')")
                }
                return count
            },
            answerDelayMs: answerDelay, output: output, root: root, build: build,
            command: CommandLine.arguments.joined(separator: " "))
        var logger = Logger(label: "switchyard.bench")
        logger.logLevel = .info
        let report = try await BenchRun(settings: settings, logger: logger).run()
        print(report.table())
        print("results written to \(output)")
        if report.lostEvents > 0 || !report.logsComplete {
            throw BenchError(
                "\(report.lostEvents) accepted event(s) were lost; log entries complete: "
                    + "\(report.logsComplete)")
        }
    }
}
