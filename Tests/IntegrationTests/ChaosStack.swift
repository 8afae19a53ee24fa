import APIClient
import Foundation
import Storage

/// The chaos run's own pipeline: one gateway, two matchers, two webhook workers and one log service as real
/// processes, on a database and a queue prefix of their own (the shared `TestStack` is not disturbed by its
/// crashes), with short retry delays so that every entry is final within the run.
final class ChaosStack: Sendable {
    /// One process of the stack and where it answers.
    struct Member: Sendable {
        let process: ServiceProcess
        let port: Int
        /// The Prometheus counter that grows with every message it consumes (nil: the gateway consumes none).
        let consumedCounter: String?

        var label: String { process.instance.map { "\(process.name)-\($0)" } ?? process.name }
        var healthURL: String { "http://127.0.0.1:\(port)/health" }
        var metricsURL: String { "http://127.0.0.1:\(port)/metrics" }
    }

    /// The retry schedule of the run: four attempts in all, 7 s of delays.
    static let retryDelays = "1s,2s,4s"
    /// The workers' webhook timeout; the receiver's hangs last longer.
    static let webhookTimeout: Duration = .seconds(3)

    let gatewayURL: String
    let logsURL: String
    let adminToken: String
    let gateway: Member
    let matchers: [Member]
    let workers: [Member]
    let logService: Member
    let receiver: ChaosReceiver
    let logDirectory: URL

    /// Every process, in start order.
    var members: [Member] { [gateway] + matchers + workers + [logService] }

    private init(
        adminToken: String, gateway: Member, matchers: [Member], workers: [Member], logService: Member,
        receiver: ChaosReceiver, logDirectory: URL
    ) {
        gatewayURL = "http://127.0.0.1:\(gateway.port)"
        logsURL = "http://127.0.0.1:\(logService.port)"
        self.adminToken = adminToken
        self.gateway = gateway
        self.matchers = matchers
        self.workers = workers
        self.logService = logService
        self.receiver = receiver
        self.logDirectory = logDirectory
    }

    /// Starts every process on a fresh database and prefix and waits until all are healthy.
    static func start(receiver: ChaosReceiver) async throws -> ChaosStack {
        guard let databaseURL = TestEnvironment.databaseURL, let amqpURL = TestEnvironment.amqpURL else {
            throw HarnessError("SWITCHYARD_TEST_DATABASE_URL and SWITCHYARD_TEST_AMQP_URL are required")
        }
        let runID = Identifier.random(prefix: "c").replacingOccurrences(of: "_", with: "")
        let database = "switchyard_\(runID)"
        try await TestStack.createDatabase(database, adminURL: databaseURL)
        let logDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-chaos-\(runID)")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let ports = TestStack.freePorts(6)
        let adminToken = "admin-" + runID
        let common: [String: String] = [
            "SWITCHYARD_DATABASE_URL": try DatabaseConfiguration(url: databaseURL).url(database: database),
            "SWITCHYARD_AMQP_URL": amqpURL,
            "SWITCHYARD_AMQP_PREFIX": "sy\(runID)",
            "SWITCHYARD_ENCRYPTION_KEY": CredentialCipher.generateKey(),
            "SWITCHYARD_ADMIN_TOKEN": adminToken,
            "SWITCHYARD_PUBLIC_URL": "http://127.0.0.1:\(ports[0])",
            "SWITCHYARD_RETRY_DELAYS": retryDelays,
            "SWITCHYARD_WEBHOOK_TIMEOUT": "\(webhookTimeout.components.seconds)s",
            // The receiver listens on loopback, which webhooks may otherwise never reach.
            "SWITCHYARD_WEBHOOK_ALLOW_NETWORKS": "127.0.0.1/32",
            // A claim of a killed worker expires within the run, as in the shared stack.
            "SWITCHYARD_CLAIM_LEASE": "10s",
            "SWITCHYARD_LOG_LEVEL": "info",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        func member(_ name: String, _ instance: String?, port: Int, counter: String?) -> Member {
            var environment = common
            environment[TestStack.portKey] = "\(port)"
            return Member(
                process: ServiceProcess(
                    name: name, instance: instance, environment: environment, logDirectory: logDirectory),
                port: port, consumedCounter: counter)
        }
        let gateway = member(
            "switchyard-gateway", nil, port: ports[0], counter: nil)
        let matchers = [1, 2].map {
            member(
                "switchyard-matcher", "\($0)", port: ports[$0],
                counter: "switchyard_matcher_events_total")
        }
        let workers = [1, 2].map {
            member(
                "switchyard-webhook-worker", "\($0)", port: ports[2 + $0],
                counter: "switchyard_connector_attempts_total")
        }
        let logService = member(
            "switchyard-log-service", nil, port: ports[5],
            counter: "switchyard_logs_outcomes_written_total")
        let stack = ChaosStack(
            adminToken: adminToken, gateway: gateway, matchers: matchers, workers: workers, logService: logService,
            receiver: receiver, logDirectory: logDirectory)
        // The gateway migrates first; the others then find the schema ready (they would wait on the lock anyway).
        for member in stack.members { try member.process.start() }
        try await stack.waitUntilHealthy(timeout: .seconds(60))
        return stack
    }

    /// Waits until every process answers 200 on `/health`.
    func waitUntilHealthy(timeout: Duration) async throws {
        try await TestStack.waitUntilHealthy(
            members.map(\.healthURL), processes: members.map(\.process), timeout: timeout)
    }

    /// Whether every process answers 200 on `/health` right now.
    func allHealthy() async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            for member in members {
                group.addTask {
                    (try? await API.raw("GET", member.healthURL, timeout: .seconds(2)))?.status == 200
                }
            }
            return await group.allSatisfy { $0 }
        }
    }

    /// The sum of a member's consumed-messages counter, or nil when its `/metrics` does not answer.
    func consumed(by member: Member) async -> Double? {
        guard let counter = member.consumedCounter,
            let response = try? await API.raw("GET", member.metricsURL, timeout: .seconds(2)), response.status == 200
        else { return nil }
        var total = 0.0
        for line in response.text.split(separator: "\n") where line.hasPrefix(counter) {
            let rest = line.dropFirst(counter.count)
            guard rest.first == "{" || rest.first == " ",
                let value = line.split(separator: " ").last.flatMap({
                    Double($0)
                })
            else { continue }
            total += value
        }
        return total
    }

    /// `kill -9` of every process: the run is over, and a graceful stop could wait on a wedged handler.
    func stop() {
        for member in members { member.process.kill9() }
    }

    /// The last lines of every process's current log, for failure messages.
    func logTails(lines: Int = 15) -> String {
        members.map { "== \($0.process.logFile.lastPathComponent)\n\($0.process.logTail(lines: lines))" }
            .joined(separator: "\n")
    }

    // MARK: Setup through the public API

    /// The typed client of this stack's gateway and log service sending `token`, each request answered within
    /// `timeout`; a refusal is thrown as an `APIRefusal`.
    func client(_ token: String, timeout: Duration = .seconds(30)) throws -> SwitchyardClient {
        guard let gateway = URL(string: gatewayURL), let logs = URL(string: logsURL) else {
            throw HarnessError("the chaos stack's URLs \(gatewayURL) and \(logsURL) are not URLs")
        }
        return SwitchyardClient(gatewayURL: gateway, logsURL: logs, token: token, timeout: timeout)
    }

    /// A marketplace with a webhook integration and a global `product.purchased` rule posting to the receiver
    /// as `tenant`; its API key. A refusal of any step is thrown as an `APIRefusal`.
    func createTenant(_ tenant: String, calm: Bool = false) async throws -> String {
        let key = try await client(adminToken).gateway.createMarketplace(body: .json(.init(name: tenant)))
            .created.body.json.apiKey
        let gateway = try client(key).gateway
        let integration = try await gateway.connectIntegration(
            body: .json(.init(connector: "webhook", label: "Receiver", credentials: .init()))
        ).created.body.json
        let rule = Gateway.RuleInput(
            scope: .global, trigger: .product_purchased, integrationId: integration.id, action: "post",
            destination: .init(kind: .url, name: receiver.url(tenant: tenant, calm: calm)))
        _ = try await gateway.createRule(body: .json(rule)).created
        return key
    }

    /// The event's log entries as the merchant sees them, or nil when the log service does not answer (or
    /// answers anything but its 200 with a page of entries) within 5 s.
    func logEntries(key: String, eventID: String) async -> [Logs.LogEntry]? {
        guard let logs = try? client(key, timeout: .seconds(5)).logs else { return nil }
        return try? await logs.searchLogs(query: .init(eventId: eventID)).ok.body.json.entries
    }
}

extension TestEnvironment {
    /// Shell command lines that stop / restart the test PostgreSQL (`deploy/local/test` sets them).
    static var databaseStop: String? { values["SWITCHYARD_TEST_DATABASE_STOP"] }
    static var databaseStart: String? { values["SWITCHYARD_TEST_DATABASE_START"] }

    /// Whether the chaos run can restart both servers.
    static var canRunChaos: Bool { canRestartBroker && databaseStop != nil && databaseStart != nil }

    /// `run(shell:)` without blocking a thread of the concurrency pool (two threads on two cores) meanwhile, and
    /// with no descriptor of this process inherited: a server the command starts (`pg_ctl start`) would keep
    /// them open, and Foundation's `Process` learns that a child ended when its descriptors close — it would wait
    /// for ever on that command and on every service process killed later.
    static func runAsync(shell command: String) async throws {
        // bash closes every descriptor above stderr, then hands over to sh, as `run(shell:)` does.
        let closing =
            #"for fd in /proc/self/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ]; then "#
            + #"eval "exec $fd>&-" 2>/dev/null; fi; done; exec /bin/sh -c "$1""#
        let strings = ["/bin/bash", "-c", closing, "chaos-shell", command]
        let arguments: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", nil, nil, arguments, environ)
        guard spawned == 0 else { throw HarnessError("could not run (\(spawned)): \(command)") }
        let child = pid
        let status: Int32 = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(child, &status, 0) == -1, errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
        // The wait status: exit code in bits 8-15, a terminating signal in bits 0-6.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw HarnessError("command failed (wait status \(status)): \(command)")
        }
    }
}
