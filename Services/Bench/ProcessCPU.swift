import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// CPU time (user + system) spent by each process of the stack, read from `/proc/<pid>/stat`. On a machine
/// shared with other work, wall-clock throughput is noisy; CPU time per event is not, and it shows which
/// process the time goes to.
///
/// The services are found through the pid files `deploy/local` writes (`.switchyard/run/*.pid`; extra webhook
/// workers are added to `webhook-worker`), PostgreSQL through its `postmaster.pid` (the postmaster and every
/// backend) and RabbitMQ through the pid file of its Erlang VM. A process's children are counted with it, the
/// exited ones through `cutime`/`cstime`.
struct ProcessCPU: Sendable {
    /// Seconds of CPU per process group at one instant.
    struct Snapshot: Sendable {
        var seconds: [String: Double]
    }

    /// The process group of the benchmark itself (its load generator and receiver).
    static let benchGroup = "bench"
    /// The order the table lists the groups in: the pipeline's order, then the servers, then the benchmark.
    static let displayOrder = [
        "gateway", "matcher", "webhook-worker", "log-service", "postgres", "rabbitmq", benchGroup,
    ]

    /// The checkout whose `.switchyard` directory holds the pid files.
    let root: String

    /// Reads every process group's CPU seconds now.
    func snapshot() -> Snapshot {
        let table = ProcessTable.read()
        var seconds: [String: Double] = [:]
        let runDirectory = "\(root)/.switchyard/run"
        for file in (try? FileManager.default.contentsOfDirectory(atPath: runDirectory)) ?? []
        where file.hasSuffix(".pid") {
            // `webhook-worker.2.pid` is an extra worker: its time counts for the webhook workers together.
            let group = String(file.dropLast(4).prefix { $0 != "." })
            guard let pid = Self.pid(fromFile: "\(runDirectory)/\(file)") else { continue }
            seconds[group, default: 0] += table.treeSeconds(of: pid)
        }
        if let pid = Self.pid(fromFile: "\(root)/.switchyard/postgres/data/postmaster.pid") {
            seconds["postgres"] = table.treeSeconds(of: pid)
        }
        if let pid = Self.pid(fromFile: "\(root)/.switchyard/rabbitmq/rabbitmq.pid") {
            seconds["rabbitmq"] = table.treeSeconds(of: pid)
        }
        seconds[Self.benchGroup] = table.treeSeconds(of: Int(getpid()))
        return Snapshot(seconds: seconds)
    }

    /// CPU milliseconds per event of each group between two snapshots.
    static func millisecondsPerEvent(events: Int, from start: Snapshot, to end: Snapshot) -> [String: Double] {
        let divisor = Double(max(events, 1))
        var perEvent: [String: Double] = [:]
        for (group, after) in end.seconds {
            guard let before = start.seconds[group] else { continue }
            perEvent[group] = max(0, after - before) * 1000 / divisor
        }
        return perEvent
    }

    /// The first line of a pid file as a pid.
    private static func pid(fromFile path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let line = text.split(separator: "\n").first
        else { return nil }
        return Int(line.trimmingCharacters(in: .whitespaces))
    }
}

/// One read of `/proc/*/stat`: CPU seconds and parent of every live process.
private struct ProcessTable {
    /// Own CPU seconds, CPU seconds of exited children it reaped, and its parent.
    struct Entry {
        var seconds: Double
        var reapedChildrenSeconds: Double
        var parent: Int
    }

    var entries: [Int: Entry] = [:]
    var children: [Int: [Int]] = [:]

    static func read() -> ProcessTable {
        var table = ProcessTable()
        let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int(name), let entry = entry(pid: pid, ticksPerSecond: ticksPerSecond) else { continue }
            table.entries[pid] = entry
            table.children[entry.parent, default: []].append(pid)
        }
        return table
    }

    /// A process, its descendants, and the children they reaped, in CPU seconds.
    func treeSeconds(of pid: Int) -> Double {
        guard let entry = entries[pid] else { return 0 }
        var total = entry.seconds + entry.reapedChildrenSeconds
        for child in children[pid] ?? [] { total += treeSeconds(of: child) }
        return total
    }

    /// Parses `/proc/<pid>/stat`: after the command name (in parentheses, possibly with spaces) come state,
    /// ppid, …, utime (field 14), stime, cutime, cstime, in clock ticks.
    private static func entry(pid: Int, ticksPerSecond: Double) -> Entry? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 14, let parent = Int(fields[1]), let utime = Double(fields[11]),
            let stime = Double(fields[12]), let cutime = Double(fields[13]), let cstime = Double(fields[14])
        else { return nil }
        return Entry(
            seconds: (utime + stime) / ticksPerSecond,
            reapedChildrenSeconds: (cutime + cstime) / ticksPerSecond, parent: parent)
    }
}
