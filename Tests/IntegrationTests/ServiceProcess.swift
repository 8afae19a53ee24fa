import Foundation
import Synchronization

/// One Switchyard executable running as a real child process, as in production.
final class ServiceProcess: @unchecked Sendable {
    let name: String
    /// Tells apart processes of one executable (a second gateway, an extra worker) in log file names.
    let instance: String?
    let environment: [String: String]
    let logDirectory: URL
    private let lock = Mutex<(process: Process?, starts: Int)>((nil, 0))

    init(name: String, instance: String? = nil, environment: [String: String], logDirectory: URL) {
        self.name = name
        self.instance = instance
        self.environment = environment
        self.logDirectory = logDirectory
    }

    /// Each start writes its own file, so a restarted process's output is kept beside the crashed one's.
    var logFile: URL {
        let label = instance.map { "\(name)-\($0)" } ?? name
        return logDirectory.appendingPathComponent("\(label)-\(lock.withLock { $0.starts }).log")
    }

    func start() throws {
        let process = Process()
        process.executableURL = TestEnvironment.binDirectory.appendingPathComponent(name)
        process.environment = environment
        lock.withLock { $0.starts += 1 }
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let handle = try FileHandle(forWritingTo: logFile)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        ChildProcesses.register(process.processIdentifier)
        lock.withLock { $0.process = process }
    }

    var pid: Int32? { lock.withLock { $0.process?.processIdentifier } }

    /// `kill -9`: no graceful shutdown, no acks flushed — a crash.
    func kill9() {
        guard let process = lock.withLock({ $0.process }) else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() {
        guard let process = lock.withLock({ $0.process }), process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    func logTail(lines: Int = 30) -> String {
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}

/// Children are killed when the test process exits, so a failed run leaves no service behind.
enum ChildProcesses {
    private static let pids = Mutex<Set<Int32>>([])
    private static let installed = Mutex(false)

    static func register(_ pid: Int32) {
        pids.withLock { _ = $0.insert(pid) }
        let first = installed.withLock { done in
            defer { done = true }
            return !done
        }
        if first { atexit { ChildProcesses.killAll() } }
    }

    static func killAll() {
        for pid in pids.withLock({ $0 }) { kill(pid, SIGKILL) }
    }
}
