import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Changes the number of webhook worker processes through `deploy/local/scale`, the same script an operator
/// uses, so the benchmark measures exactly what scaling out does on this machine.
///
/// The script is started with `posix_spawn` and reaped with `waitpid`, not with Foundation's `Process`: the
/// workers it leaves running in the background inherit Foundation's process-monitoring descriptors on Linux,
/// so `Process` would never report the script as finished.
struct WorkerScaler: Sendable {
    let root: String
    let logger: Logger

    /// `total` counts the worker `deploy/local/up` started, so the script gets `total - 1` extras. Waits a moment
    /// afterwards so the new consumers are registered at the broker before load starts.
    func scale(toTotal total: Int) async throws {
        let arguments = ["\(root)/deploy/local/scale", "webhook-worker", String(max(0, total - 1))]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], nil, nil, &argv, environ)
        guard spawned == 0 else {
            throw BenchError("cannot start deploy/local/scale: error \(spawned)")
        }
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 { throw BenchError("waiting for deploy/local/scale failed: errno \(errno)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        // Exited normally with status 0: the low 7 bits (signal) and the exit code byte are all zero.
        guard status == 0 else {
            throw BenchError("deploy/local/scale webhook-worker \(total - 1) failed (wait status \(status))")
        }
        logger.info("webhook workers: \(total)")
        try await Task.sleep(for: .seconds(1))
    }
}
