import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The webhook receiver the end-to-end phases deliver to. It notes when each event id first arrived (the end of
/// its send→receipt latency) and can answer late, to stand in for a slow destination in the scale-out phase.
final class BenchReceiver: Sendable {
    /// The part of the webhook body the benchmark reads: `{"data":{"id":…}}`.
    private struct Envelope: Decodable {
        struct Event: Decodable {
            var id: String
        }
        var data: Event
    }

    private let receipts = Mutex<[String: ContinuousClock.Instant]>([:])
    private let answerDelay = Atomic<Int>(0)
    private let boundPort = Atomic<Int>(0)

    /// Milliseconds the receiver waits before answering each delivery.
    func setAnswerDelay(milliseconds: Int) {
        answerDelay.store(milliseconds, ordering: .relaxed)
    }

    /// Number of distinct events received so far.
    var receivedCount: Int { receipts.withLock { $0.count } }

    /// When each of `ids` was first received; ids not (yet) received are left out.
    func receiptTimes(of ids: some Sequence<String>) -> [String: ContinuousClock.Instant] {
        receipts.withLock { receipts in
            var result: [String: ContinuousClock.Instant] = [:]
            for id in ids {
                if let instant = receipts[id] { result[id] = instant }
            }
            return result
        }
    }

    /// The latest receipt among `ids`, to compute end-to-end throughput.
    func lastReceipt(of ids: some Sequence<String>) -> ContinuousClock.Instant? {
        receiptTimes(of: ids).values.max()
    }

    /// Serves `POST /hook` on 127.0.0.1:`port` (0 = any free port) until the calling task is cancelled.
    func run(port: Int, logger: Logger) async throws {
        let router = Router()
        router.post("/hook") { [self] request, _ -> HTTPResponse.Status in
            let arrived = ContinuousClock.now
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(body.readableBytesView)) else {
                return .badRequest
            }
            receipts.withLock { receipts in
                if receipts[envelope.data.id] == nil { receipts[envelope.data.id] = arrived }
            }
            let delay = answerDelay.load(ordering: .relaxed)
            if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
            return .ok
        }
        var quiet = logger
        // Cancelling the server at the end of a run is normal; Hummingbird reports it as an error.
        quiet.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "switchyard-bench"),
            onServerRunning: { [self] channel in
                boundPort.store(channel.localAddress?.port ?? 0, ordering: .relaxed)
            },
            logger: quiet)
        try await app.run()
    }

    /// Waits until `run` is listening and returns its port.
    func waitUntilListening(timeout: Duration = .seconds(10)) async throws -> Int {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            let port = boundPort.load(ordering: .relaxed)
            if port != 0 { return port }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw BenchError("the benchmark's webhook receiver did not start listening within \(timeout)")
    }
}
