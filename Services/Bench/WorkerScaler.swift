import Foundation
import Logging

/// Changes the number of webhook worker processes through `deploy/local/scale`, the same script an operator
/// uses, so the benchmark measures exactly what scaling out does on this machine.
struct WorkerScaler: Sendable {
    let root: String
    let logger: Logger

    /// `total` counts the worker `deploy/local/up` started, so the script gets `total - 1` extras. Waits a moment
    /// afterwards so the new consumers are registered at the broker before load starts.
    func scale(toTotal total: Int) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "\(root)/deploy/local/scale")
        process.arguments = ["webhook-worker", String(max(0, total - 1))]
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        guard status == 0 else {
            throw BenchError("deploy/local/scale webhook-worker \(total - 1) failed with exit status \(status)")
        }
        logger.info("webhook workers: \(total)")
        try await Task.sleep(for: .seconds(1))
    }
}
