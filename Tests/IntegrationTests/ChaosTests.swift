import APIClient
import Foundation
import Testing

/// The chaos run (issue 9, "a chaos test of our own"): a steady stream of events for two marketplaces through
/// two matchers and two webhook workers into a receiver that fails, throttles and hangs for a share of requests,
/// while the run `kill -9`s a matcher, a worker, the log service and the gateway, and restarts RabbitMQ and
/// PostgreSQL. Then: every accepted event has a final log entry, every `success` reached the receiver, no event
/// was performed twice (counted per event at the receiver), and every service consumes again within 10 s.
extension Integration {
    @Suite struct ChaosTests {
        @Test(
            "under crashes and server restarts nothing accepted is lost, nothing is done twice, consumers recover",
            .enabled(
                if: TestEnvironment.canRunChaos,
                "needs SWITCHYARD_TEST_BROKER_STOP/START and SWITCHYARD_TEST_DATABASE_STOP/START (deploy/local/test)"),
            .timeLimit(.minutes(10)))
        func chaos() async throws {
            // The hangs outlast the webhook timeout by far, and stay well inside the final wait.
            let receiver = try await ChaosReceiver.start(hang: ChaosStack.webhookTimeout * 2)
            let stack = try await ChaosStack.start(receiver: receiver)
            defer { stack.stop() }
            say("chaos: service logs in \(stack.logDirectory.path)")
            var keys: [String: String] = [:]
            for tenant in ChaosPlan.tenants { keys[tenant] = try await stack.createTenant(tenant) }
            keys[ChaosPlan.probeTenant] = try await stack.createTenant(ChaosPlan.probeTenant, calm: true)
            let ledger = ChaosLedger()
            let run = ChaosRun(stack: stack, keys: keys, ledger: ledger)

            let loadStart = ContinuousClock.now
            let loadEnd = loadStart + ChaosPlan.loadDuration
            async let load: Void = run.load(until: loadEnd, giveUpAt: loadEnd + ChaosPlan.storePatience)
            let faults = try await run.faults(from: loadStart)
            await load
            say("chaos: load done after \(seconds(ContinuousClock.now - loadStart)) s")

            // Every accepted event must reach a final entry.
            let accepted = await ledger.accepted
            var pending = accepted
            let deadline = ContinuousClock.now + ChaosPlan.finalWait
            while !pending.isEmpty, ContinuousClock.now < deadline {
                let states = await run.entries(of: pending)
                pending = pending.filter { event in !(states[event.key].map(ChaosRun.isFinal) ?? false) }
                if !pending.isEmpty { try await Task.sleep(for: .seconds(1)) }
            }
            say("chaos: entries final (or given up) after \(seconds(ContinuousClock.now - loadStart)) s")
            try await Task.sleep(for: ChaosPlan.settle)
            let report = await run.report(accepted: accepted, faults: faults)
            report.print()

            #expect(report.lost.isEmpty, "\(report.lost.count) accepted events have no final log entry")
            #expect(report.performedTwice.isEmpty, "\(report.performedTwice.count) events were performed twice")
            #expect(
                report.successNotReceived.isEmpty,
                "\(report.successNotReceived.count) success entries were never answered 2xx by the receiver")
            for fault in faults {
                #expect(
                    fault.recovery.map { $0 <= ChaosPlan.recoveryLimit } ?? false,
                    "\(fault.name): recovery \(fault.recovery.map { "\(seconds($0)) s" } ?? "never")")
            }
            let refused = await ledger.refused
            #expect(refused.isEmpty, "valid events refused: \(refused.prefix(5))")
            let abandoned = await ledger.abandoned
            #expect(
                abandoned.isEmpty, "\(abandoned.count) events never got a 202 in \(ChaosPlan.storePatience) of retries")
            #expect(accepted.count > 500, "the load reached only \(accepted.count) accepted events")
            #expect(receiver.unreadable == 0, "the receiver got \(receiver.unreadable) unreadable requests")
            if !report.lost.isEmpty || !report.performedTwice.isEmpty { say(stack.logTails()) }
        }
    }
}

/// The shape of the chaos run: its load, its faults and how long it waits.
enum ChaosPlan {
    /// Seconds into the load at which the faults start (each waits for the previous one's recovery).
    static let faultSchedule: [Double] = [8, 20, 32, 44, 56, 72]
    static let loadDuration: Duration = .seconds(90)
    /// A new event id per tenant every interval: 4 events/s per marketplace.
    static let publishInterval: Duration = .milliseconds(250)
    /// How long a store keeps retrying one event after the load ends before it gives up on it.
    static let storePatience: Duration = .seconds(30)
    static let finalWait: Duration = .seconds(120)
    /// After every entry is final: long enough for a forked retry chain (1 + 2 + 4 s) to deliver again.
    static let settle: Duration = .seconds(8)
    static let recoveryLimit: Duration = .seconds(10)
    static let tenants = ["alpha", "beta"]
    static let probeTenant = "probe"
}

/// Seconds with one decimal, for the printed figures.
func seconds(_ duration: Duration) -> String {
    let (whole, fraction) = duration.components
    return String(format: "%.1f", Double(whole) + Double(fraction) / 1e18)
}

/// What the store side of the run saw: which events were accepted (202), refused, or abandoned.
actor ChaosLedger {
    /// An event the gateway answered 202.
    struct Accepted: Sendable {
        var key: ChaosReceiver.EventKey
        var type: Gateway.TriggerType
        /// Publishes it took (1 when the first was answered 202).
        var tries: Int
    }

    private(set) var accepted: [Accepted] = []
    private(set) var refused: [String] = []
    private(set) var abandoned: [ChaosReceiver.EventKey] = []

    func accept(_ event: Accepted) { accepted.append(event) }
    func refuse(_ description: String) { refused.append(description) }
    func abandon(_ key: ChaosReceiver.EventKey) { abandoned.append(key) }
}

/// One fault of the run and how long the pipeline took to work again after it was over.
struct FaultRecord: Sendable {
    var name: String
    /// From the process restart / the server's return until every figure below held.
    var recovery: Duration?
    /// Until every process answered 200 on `/health`.
    var health: Duration?
    /// Until a fresh probe event was accepted, delivered and logged `success`.
    var probe: Duration?
    /// Until each consuming process's consumed-messages counter grew.
    var consumers: [(String, Duration?)]
}

/// The moving parts of the chaos run: load, faults, probes and the final accounting.
struct ChaosRun: Sendable {
    let stack: ChaosStack
    let keys: [String: String]
    let ledger: ChaosLedger

    static func isFinal(_ entries: [Logs.LogEntry]) -> Bool { !entries.isEmpty && entries.allSatisfy(isFinalEntry) }

    private static func isFinalEntry(_ entry: Logs.LogEntry) -> Bool {
        [.success, .failed, .skipped].contains(entry.status)
    }

    // MARK: Load

    /// Publishes a new event id for every tenant each interval until `end`; each is retried, as a store must,
    /// until it is answered 202 (or refused with a 4xx, or `giveUpAt` passes).
    func load(until end: ContinuousClock.Instant, giveUpAt: ContinuousClock.Instant) async {
        let runID = UUID().uuidString.prefix(8)
        await withTaskGroup(of: Void.self) { group in
            var number = 0
            while ContinuousClock.now < end {
                // The same ids in both marketplaces: idempotency and counting are per marketplace.
                let eventID = "evt_chaos_\(runID)_\(number)"
                let type: Gateway.TriggerType = number % 10 == 9 ? .product_refunded : .product_purchased
                for tenant in ChaosPlan.tenants {
                    group.addTask {
                        _ = await publish(tenant: tenant, eventID: eventID, type: type, giveUpAt: giveUpAt)
                    }
                }
                number += 1
                try? await Task.sleep(for: ChaosPlan.publishInterval)
            }
        }
    }

    /// Publishes one event until the gateway answers 202; whether it did.
    func publish(
        tenant: String, eventID: String, type: Gateway.TriggerType, giveUpAt: ContinuousClock.Instant
    ) async -> Bool {
        let key = ChaosReceiver.EventKey(tenant: tenant, eventID: eventID)
        var event = TestStack.event(id: eventID, type: type, email: "buyer-\(eventID.suffix(6))@example.com")
        event.occurredAt = Date()
        guard let token = keys[tenant], let gateway = try? stack.client(token, timeout: .seconds(5)).gateway else {
            await ledger.refuse("\(tenant)/\(eventID): no API key for the tenant")
            return false
        }
        var tries = 0
        while true {
            tries += 1
            do {
                // `.accepted`: answered 202 (accepted or duplicate); any 4xx or 5xx is thrown as an APIRefusal.
                _ = try await gateway.publishEvent(body: .json(event)).accepted
                await ledger.accept(.init(key: key, type: type, tries: tries))
                return true
            } catch {
                if let refusal = APIRefusal(error), (400..<500).contains(refusal.status),
                    ![408, 429].contains(refusal.status)
                {
                    await ledger.refuse("\(tenant)/\(eventID): \(refusal)")
                    return false
                }
            }
            // Down, 503, 5xx, a timeout: the same id again, a moment later.
            guard ContinuousClock.now < giveUpAt else {
                await ledger.abandon(key)
                return false
            }
            try? await Task.sleep(for: .milliseconds(300))
        }
    }

    // MARK: Faults

    /// Runs the faults in order, each no earlier than its slot in the schedule, and measures each recovery.
    func faults(from start: ContinuousClock.Instant) async throws -> [FaultRecord] {
        var records: [FaultRecord] = []
        let steps: [(String, () async throws -> Void)] = [
            ("kill -9 matcher-1", { try await crash(stack.matchers[0]) }),
            ("kill -9 webhook-worker-1", { try await crash(stack.workers[0]) }),
            ("kill -9 log-service", { try await crash(stack.logService) }),
            ("kill -9 gateway", { try await crash(stack.gateway) }),
            (
                "RabbitMQ restart",
                {
                    try await restart(
                        stop: TestEnvironment.brokerStop ?? "false", start: TestEnvironment.brokerStart ?? "false")
                }
            ),
            (
                "PostgreSQL restart",
                {
                    try await restart(
                        stop: TestEnvironment.databaseStop ?? "false",
                        start: TestEnvironment.databaseStart ?? "false")
                }
            ),
        ]
        for ((name, inject), at) in zip(steps, ChaosPlan.faultSchedule) {
            let slot = start + .milliseconds(Int64(at * 1000))
            if ContinuousClock.now < slot { try await Task.sleep(until: slot, clock: .continuous) }
            say("chaos: \(name) at \(seconds(ContinuousClock.now - start)) s")
            try await inject()
            let record = await measureRecovery(name, since: .now)
            say(
                "chaos: \(name) recovered in \(record.recovery.map { "\(seconds($0)) s" } ?? "NEVER (60 s)")")
            records.append(record)
        }
        return records
    }

    /// `kill -9`, two seconds down, then the same process again.
    private func crash(_ member: ChaosStack.Member) async throws {
        member.process.kill9()
        try await Task.sleep(for: .seconds(2))
        try member.process.start()
    }

    /// A server stopped for three seconds; returns once it is back.
    private func restart(stop: String, start: String) async throws {
        try await TestEnvironment.runAsync(shell: stop)
        try await Task.sleep(for: .seconds(3))
        try await TestEnvironment.runAsync(shell: start)
    }

    /// How long after `since` every process is healthy, a fresh probe event is delivered and logged, and every
    /// consuming process has consumed something new; nil figures did not happen within 60 s.
    func measureRecovery(_ name: String, since: ContinuousClock.Instant) async -> FaultRecord {
        let consumers = stack.matchers + stack.workers + [stack.logService]
        var baseline: [Double] = []
        for member in consumers { baseline.append(await stack.consumed(by: member) ?? 0) }
        let deadline = since + .seconds(60)
        async let probeTime = probe(since: since, deadline: deadline)
        var health: Duration?
        var advanced = [Duration?](repeating: nil, count: consumers.count)
        while ContinuousClock.now < deadline, health == nil || advanced.contains(where: { $0 == nil }) {
            if health == nil, await stack.allHealthy() { health = ContinuousClock.now - since }
            for (index, member) in consumers.enumerated() where advanced[index] == nil {
                if let value = await stack.consumed(by: member), value > baseline[index] {
                    advanced[index] = ContinuousClock.now - since
                }
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        let probed = await probeTime
        let figures = [health, probed] + advanced
        let recovery = figures.contains { $0 == nil } ? nil : figures.compactMap { $0 }.max()
        return FaultRecord(
            name: name, recovery: recovery, health: health, probe: probed,
            consumers: zip(consumers.map(\.label), advanced).map { ($0, $1) })
    }

    /// Publishes a probe event (retrying like a store) and waits until the receiver answered it 2xx and its
    /// entry reads `success`; the time since `since`.
    private func probe(since: ContinuousClock.Instant, deadline: ContinuousClock.Instant) async -> Duration? {
        let eventID = "evt_probe_\(UUID().uuidString)"
        let tenant = ChaosPlan.probeTenant
        guard await publish(tenant: tenant, eventID: eventID, type: .product_purchased, giveUpAt: deadline),
            let key = keys[tenant]
        else { return nil }
        while ContinuousClock.now < deadline {
            let delivered = stack.receiver.requests.contains {
                $0.tenant == tenant && $0.eventID == eventID && $0.answer == .ok
            }
            if delivered, let entries = await stack.logEntries(key: key, eventID: eventID),
                entries.first?.status == .success
            {
                return ContinuousClock.now - since
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    // MARK: Accounting

    /// The log entries of each event (missing when the log service did not answer), eight questions at a time.
    func entries(of events: [ChaosLedger.Accepted]) async -> [ChaosReceiver.EventKey: [Logs.LogEntry]] {
        var result: [ChaosReceiver.EventKey: [Logs.LogEntry]] = [:]
        for chunk in stride(from: 0, to: events.count, by: 8).map({ events[$0..<min($0 + 8, events.count)] }) {
            let answers = await withTaskGroup(of: (ChaosReceiver.EventKey, [Logs.LogEntry]?).self) { group in
                for event in chunk {
                    group.addTask {
                        let key = keys[event.key.tenant] ?? ""
                        return (event.key, await stack.logEntries(key: key, eventID: event.key.eventID))
                    }
                }
                var answers: [(ChaosReceiver.EventKey, [Logs.LogEntry]?)] = []
                for await answer in group { answers.append(answer) }
                return answers
            }
            for (key, list) in answers { if let list { result[key] = list } }
        }
        return result
    }

    /// Counts everything the test asserts and prints.
    func report(accepted: [ChaosLedger.Accepted], faults: [FaultRecord]) async -> ChaosReport {
        let byEvent = await entries(of: accepted)
        let performed = stack.receiver.performedCounts()
        var report = ChaosReport(faults: faults)
        report.accepted = accepted.count
        report.acceptedPerTenant = Dictionary(grouping: accepted, by: \.key.tenant).mapValues(\.count)
        report.storeRetries = accepted.map { $0.tries - 1 }.reduce(0, +)
        report.requests = stack.receiver.requests.count
        let acceptedKeys = Set(accepted.map(\.key))
        for event in accepted {
            let list = byEvent[event.key] ?? []
            let statuses = list.map(\.status)
            if !Self.isFinal(list) {
                let answers = stack.receiver.requests
                    .filter { $0.tenant == event.key.tenant && $0.eventID == event.key.eventID }
                    .map { "\($0.answer.rawValue) #\($0.number)" }
                let described = statuses.map(\.rawValue).joined(separator: ", ")
                report.lost.append(
                    "\(event.key.tenant)/\(event.key.eventID): entries [\(described)], "
                        + "receiver answered [\(answers.joined(separator: ", "))]")
                continue
            }
            if list.count > 1 { report.duplicateEntries += 1 }
            for status in statuses { report.statuses[status.rawValue, default: 0] += 1 }
            let times = performed[event.key] ?? 0
            if statuses.contains(.success), times == 0 {
                report.successNotReceived.append("\(event.key.tenant)/\(event.key.eventID)")
            }
            if statuses.allSatisfy({ $0 == .failed }), times > 0 { report.performedButFailed += 1 }
            let expected: Logs.LogStatus =
                event.type == .product_purchased
                ? (event.key.tenant == ChaosPlan.probeTenant
                    ? .success
                    : ChaosReceiver.profile(tenant: event.key.tenant, eventID: event.key.eventID).expectedStatus)
                : .skipped
            if statuses != [expected] { report.unexpectedStatus += 1 }
        }
        for (key, times) in performed where times > 1 {
            let requests = stack.receiver.requests.filter { $0.tenant == key.tenant && $0.eventID == key.eventID }
            let described = requests.map { "\($0.answer.rawValue) #\($0.number) webhook-id \($0.webhookID)" }
            report.performedTwice.append(
                "\(key.tenant)/\(key.eventID) performed \(times)×: \(described.joined(separator: "; "))")
        }
        report.performedNotAccepted = Set(performed.keys).subtracting(acceptedKeys).count
        return report
    }
}

/// The figures of one chaos run.
struct ChaosReport {
    var faults: [FaultRecord]
    var accepted = 0
    var acceptedPerTenant: [String: Int] = [:]
    /// Publishes beyond the first that events needed to be answered 202 (gateway down, 503).
    var storeRetries = 0
    var requests = 0
    var statuses: [String: Int] = [:]
    var lost: [String] = []
    var performedTwice: [String] = []
    var successNotReceived: [String] = []
    var duplicateEntries = 0
    var performedButFailed = 0
    var performedNotAccepted = 0
    /// Final statuses other than the receiver's profile predicts (crashes and outages can turn a success into a
    /// failure by exhausting the short retry schedule): information, not an assertion.
    var unexpectedStatus = 0

    func print() {
        let perTenant = acceptedPerTenant.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        say("chaos: accepted \(accepted) (\(perTenant.joined(separator: ", ")); store retries \(storeRetries))")
        say("chaos: receiver requests \(requests)")
        let byStatus = statuses.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        say("chaos: final entries \(byStatus.joined(separator: ", "))")
        say("chaos: lost \(lost.count)")
        say("chaos: performed twice \(performedTwice.count)")
        say("chaos: success not received \(successNotReceived.count)")
        say(
            "chaos: events with several entries \(duplicateEntries); performed but logged failed "
                + "\(performedButFailed); performed without a 202 \(performedNotAccepted); status other than "
                + "the receiver's profile predicts \(unexpectedStatus)")
        for fault in faults {
            let consumers = fault.consumers.map { "\($0.0) \($0.1.map(seconds) ?? "never")" }
            say(
                "chaos: recovery \(fault.name): \(fault.recovery.map { "\(seconds($0)) s" } ?? "NEVER") "
                    + "(health \(fault.health.map(seconds) ?? "never"), probe \(fault.probe.map(seconds) ?? "never"), "
                    + "consumed \(consumers.joined(separator: ", ")))")
        }
        for line in lost.prefix(10) { say("chaos: lost \(line)") }
        for line in performedTwice.prefix(10) { say("chaos: twice \(line)") }
        for line in successNotReceived.prefix(10) { say("chaos: success not received \(line)") }
    }
}

/// Prints a line of the run's figures at once (stdout is a file in CI: buffered, it would be lost on a kill).
func say(_ line: String) {
    print(line)
    fflush(nil)
}
