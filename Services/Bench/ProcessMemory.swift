import Foundation
import Synchronization

/// Resident memory of the stack's processes (found through the pid files `deploy/local` writes), sampled
/// while the benchmark runs so the peak of each process is known.
final class ProcessMemory: Sendable {
    /// Resident set of one process at idle and at its highest sample, in MB.
    struct Figures: Codable, Sendable {
        var process: String
        var idleMB: Double?
        var peakMB: Double
    }

    private let runDirectory: String
    private let state = Mutex<(idle: [String: Double], peak: [String: Double])>(([:], [:]))

    /// `runDirectory` is `.switchyard/run`.
    init(runDirectory: String) {
        self.runDirectory = runDirectory
    }

    /// Records the current figures as the idle ones (and as peaks so far).
    func recordIdle() {
        let now = sample()
        state.withLock { state in
            state.idle = now
            state.peak.merge(now) { Swift.max($0, $1) }
        }
    }

    /// Samples until cancelled; the interval is short enough to catch the peak of a phase lasting seconds.
    func sampleUntilCancelled(every interval: Duration = .milliseconds(250)) async {
        while !Task.isCancelled {
            let now = sample()
            state.withLock { $0.peak.merge(now) { Swift.max($0, $1) } }
            try? await Task.sleep(for: interval)
        }
    }

    /// Idle and peak figures per process, sorted by name.
    func figures() -> [Figures] {
        let latest = sample()
        return state.withLock { state in
            state.peak.merge(latest) { Swift.max($0, $1) }
            return state.peak.keys.sorted().map { name in
                Figures(process: name, idleMB: state.idle[name], peakMB: state.peak[name] ?? 0)
            }
        }
    }

    /// VmRSS of every live process named by a pid file, in MB.
    private func sample() -> [String: Double] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: runDirectory)) ?? []
        var result: [String: Double] = [:]
        for file in files where file.hasSuffix(".pid") {
            let name = String(file.dropLast(4))
            guard let text = try? String(contentsOfFile: "\(runDirectory)/\(file)", encoding: .utf8),
                let pid = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                let rss = Self.residentMB(pid: pid)
            else { continue }
            result[name] = rss
        }
        return result
    }

    /// Reads `VmRSS` from `/proc/<pid>/status` (in kB there).
    static func residentMB(pid: Int) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kilobytes = Double(fields[1]) { return kilobytes / 1024 }
        }
        return nil
    }
}
