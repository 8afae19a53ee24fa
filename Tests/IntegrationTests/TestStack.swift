import APIClient
import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Storage

/// The whole pipeline — gateway, matcher, webhook, Mailchimp and iContact workers, log service — as real processes
/// on a fresh database and a fresh set of queues (a unique prefix), shared by the integration tests, which run one
/// at a time. The connector workers talk to the vendor fakes served in this process. A second gateway on queues of
/// its own, which no worker consumes, shows what the gateway does when no worker answers.
final class TestStack: Sendable {
    let gatewayURL: String
    let logsURL: String
    /// The gateway whose connector requests no worker takes: every question to a worker ends in a 503.
    let workerlessGatewayURL: String
    let adminToken: String
    let gateway: ServiceProcess
    let matcher: ServiceProcess
    let webhookWorker: ServiceProcess
    let logService: ServiceProcess
    let mailchimpWorker: ServiceProcess
    let icontactWorker: ServiceProcess
    let workerlessGateway: ServiceProcess
    let healthURLs: [String]
    let receiver: WebhookReceiver
    let fakes: VendorFakeServers

    private static let holder = StackHolder()
    /// How long a `prospect.created` waits in tests: long enough to restart a matcher in between.
    static let prospectDelaySeconds: Double = 4
    /// How long the workerless gateway waits for a connector worker's reply.
    static let connectorTimeoutSeconds: Double = 2
    /// How long the main gateway waits for a worker's reply: a whole catalog read page by page fits in it.
    static let workerTimeoutSeconds = 15

    /// The variable every service reads its HTTP port from.
    static let portKey = "SWITCHYARD_HTTP_PORT"

    static func shared() async throws -> TestStack { try await holder.get() }

    private actor StackHolder {
        var stack: TestStack?
        func get() async throws -> TestStack {
            if let stack { return stack }
            let stack = try await TestStack.start()
            self.stack = stack
            return stack
        }
    }

    private init(
        urls: (gateway: String, logs: String, workerless: String), adminToken: String, processes: [ServiceProcess],
        healthURLs: [String], receiver: WebhookReceiver, fakes: VendorFakeServers
    ) {
        gatewayURL = urls.gateway
        logsURL = urls.logs
        workerlessGatewayURL = urls.workerless
        self.adminToken = adminToken
        gateway = processes[0]
        matcher = processes[1]
        webhookWorker = processes[2]
        logService = processes[3]
        mailchimpWorker = processes[4]
        icontactWorker = processes[5]
        workerlessGateway = processes[6]
        self.healthURLs = healthURLs
        self.receiver = receiver
        self.fakes = fakes
    }

    /// Every process of the stack, in start order.
    var processes: [ServiceProcess] {
        [gateway, matcher, webhookWorker, logService, mailchimpWorker, icontactWorker, workerlessGateway]
    }

    private static func start() async throws -> TestStack {
        guard let databaseURL = TestEnvironment.databaseURL, let amqpURL = TestEnvironment.amqpURL else {
            throw HarnessError("SWITCHYARD_TEST_DATABASE_URL and SWITCHYARD_TEST_AMQP_URL are required")
        }
        let runID = Identifier.random(prefix: "t").replacingOccurrences(of: "_", with: "")
        let database = "switchyard_\(runID)"
        try await createDatabase(database, adminURL: databaseURL)
        let testDatabaseURL = try DatabaseConfiguration(url: databaseURL).url(database: database)
        let logDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-\(runID)")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let receiver = try await WebhookReceiver.start()
        // The apps are up before any worker could ask them anything.
        let fakes = try await VendorFakeServers.start()

        let ports = freePorts(7)
        let adminToken = "admin-" + runID
        var common: [String: String] = [
            "SWITCHYARD_DATABASE_URL": testDatabaseURL,
            "SWITCHYARD_AMQP_URL": amqpURL,
            "SWITCHYARD_AMQP_PREFIX": "sy\(runID)",
            "SWITCHYARD_ENCRYPTION_KEY": CredentialCipher.generateKey(),
            "SWITCHYARD_ADMIN_TOKEN": adminToken,
            "SWITCHYARD_RETRY_DELAYS": "1s,2s",
            "SWITCHYARD_WEBHOOK_TIMEOUT": "3s",
            // The test receivers listen on loopback, which webhooks may otherwise never reach.
            "SWITCHYARD_WEBHOOK_ALLOW_NETWORKS": "127.0.0.1/32",
            "SWITCHYARD_CLAIM_LEASE": "10s",
            // Integrations whose endpoint keeps failing are paused briefly, so tests of failures stay quick.
            "SWITCHYARD_CIRCUIT_COOLDOWN": "2s",
            "SWITCHYARD_CONNECTOR_TIMEOUT": "\(workerTimeoutSeconds)s",
            "SWITCHYARD_PUBLIC_URL": "http://127.0.0.1:\(ports[0])",
            "SWITCHYARD_PROSPECT_DELAY": "\(Int(TestStack.prospectDelaySeconds))s",
            "SWITCHYARD_LOG_LEVEL": "info",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        common.merge(fakes.workerEnvironment) { $1 }
        var workerless = common
        workerless["SWITCHYARD_AMQP_PREFIX"] = "sy\(runID)none"
        workerless[portKey] = "\(ports[6])"
        workerless["SWITCHYARD_PUBLIC_URL"] = "http://127.0.0.1:\(ports[6])"
        workerless["SWITCHYARD_CONNECTOR_TIMEOUT"] = "\(Int(connectorTimeoutSeconds))s"
        let names = [
            "switchyard-gateway", "switchyard-matcher", "switchyard-webhook-worker", "switchyard-log-service",
            "switchyard-mailchimp-worker", "switchyard-icontact-worker",
        ]
        let processes =
            zip(names, ports).map { name, port in
                var environment = common
                environment[portKey] = "\(port)"
                return ServiceProcess(name: name, environment: environment, logDirectory: logDirectory)
            }
            + [
                ServiceProcess(
                    name: "switchyard-gateway", instance: "workerless", environment: workerless,
                    logDirectory: logDirectory)
            ]
        // The gateway migrates first; the others then find the schema ready (they would wait on the lock anyway).
        for process in processes { try process.start() }
        let stack = TestStack(
            urls: ("http://127.0.0.1:\(ports[0])", "http://127.0.0.1:\(ports[3])", "http://127.0.0.1:\(ports[6])"),
            adminToken: adminToken, processes: processes, healthURLs: ports.map { "http://127.0.0.1:\($0)/health" },
            receiver: receiver, fakes: fakes)
        try await stack.waitUntilHealthy(timeout: .seconds(60))
        return stack
    }

    /// Waits until every process answers 200 on `/health` (database and broker connected).
    func waitUntilHealthy(timeout: Duration) async throws {
        try await Self.waitUntilHealthy(healthURLs, processes: processes, timeout: timeout)
    }

    static func waitUntilHealthy(_ urls: [String], processes: [ServiceProcess], timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        for url in urls {
            while true {
                if let response = try? await API.raw("GET", url), response.status == 200 { break }
                guard ContinuousClock.now < deadline else {
                    let logs = processes.map { "== \($0.logFile.lastPathComponent)\n\($0.logTail())" }
                    throw HarnessError("\(url) never became healthy.\n" + logs.joined(separator: "\n"))
                }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    static func createDatabase(_ name: String, adminURL: String) async throws {
        let configuration = try DatabaseConfiguration(url: adminURL)
        let client = PostgresClient(
            configuration: configuration.clientConfiguration, backgroundLogger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
    }

    /// Distinct ports nobody listens on right now: every socket stays bound until all are chosen, or the
    /// kernel could hand out the same port twice.
    static func freePorts(_ count: Int) -> [Int] {
        let sockets = (0..<count).map { _ in boundSocket() }
        defer { for (fd, _) in sockets { close(fd) } }
        return sockets.map(\.port)
    }

    private static func boundSocket() -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    // MARK: The public API, as a store and a merchant use it

    /// The typed client of both APIs (`Shared/APIClient`) sending `token`: a marketplace's API key, or the admin
    /// token for `/admin/v1`.
    func client(_ token: String) throws -> SwitchyardClient {
        guard let gateway = URL(string: gatewayURL), let logs = URL(string: logsURL) else {
            throw HarnessError("the stack's URLs \(gatewayURL) and \(logsURL) are not URLs")
        }
        return SwitchyardClient(gatewayURL: gateway, logsURL: logs, token: token)
    }

    /// A new marketplace and its API key.
    func createMarketplace(_ name: String = "Store") async throws -> (id: String, key: String) {
        let created = try await client(adminToken).gateway.createMarketplace(body: .json(.init(name: name)))
            .created.body.json
        return (created.id, created.apiKey)
    }

    /// A webhook integration; returns its id and signing secret.
    func createWebhookIntegration(key: String, label: String = "Receiver") async throws -> (id: String, secret: String)
    {
        let integration = try await client(key).gateway.connectIntegration(
            body: .json(.init(connector: "webhook", label: label, credentials: .init()))
        ).created.body.json
        guard let secret = integration.signingSecret else {
            throw HarnessError("the webhook integration \(integration.id) came without a signing secret")
        }
        return (integration.id, secret)
    }

    /// A rule that POSTs to the receiver at `path`.
    @discardableResult
    func createRule(
        key: String, integrationID: String, trigger: Gateway.TriggerType = .product_purchased,
        productID: String? = nil, path: String
    ) async throws -> String {
        let rule = ruleInput(integrationID: integrationID, trigger: trigger, productID: productID, path: path)
        return try await client(key).gateway.createRule(body: .json(rule)).created.body.json.id
    }

    /// A valid rule that POSTs to the receiver at `path`: global, or for `productID`.
    func ruleInput(
        integrationID: String, trigger: Gateway.TriggerType = .product_purchased, productID: String? = nil,
        path: String
    ) -> Gateway.RuleInput {
        Gateway.RuleInput(
            scope: productID == nil ? .global : .product, productId: productID, trigger: trigger,
            integrationId: integrationID, action: "post", destination: .init(kind: .url, name: receiver.url(path)))
    }

    /// `POST /v1/events`: the gateway's answer to a valid event (a refusal is thrown as an `APIRefusal`).
    @discardableResult
    func publish(key: String, _ event: Gateway.TriggerEvent) async throws -> Gateway.EventAccepted {
        try await client(key).gateway.publishEvent(body: .json(event)).accepted.body.json
    }

    /// The log entries for an event, once `done` holds for them (polling), or whatever is there at the deadline.
    func logEntries(
        key: String, eventID: String, timeout: Duration = .seconds(20), until done: ([Logs.LogEntry]) -> Bool
    ) async throws -> [Logs.LogEntry] {
        let deadline = ContinuousClock.now + timeout
        let logs = try client(key).logs
        while true {
            // Always asks at least once, even with a zero timeout.
            let entries = try await logs.searchLogs(query: .init(eventId: eventID)).ok.body.json.entries
            if done(entries) || ContinuousClock.now >= deadline { return entries }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    static func event(
        id: String = UUID().uuidString, type: Gateway.TriggerType = .product_purchased, product: String = "prod_course",
        email: String = "jane@example.com"
    ) -> Gateway.TriggerEvent {
        Gateway.TriggerEvent(
            id: id, _type: type, occurredAt: Date(timeIntervalSince1970: 1_795_255_200),
            customer: .init(email: email, firstName: "Jane", lastName: "Doe"),
            product: .init(id: product, name: "Course", price: "49.00", currency: "USD"))
    }
}

/// Final statuses: the entry will not change any more.
func isFinal(_ entry: Logs.LogEntry) -> Bool {
    [.success, .failed, .skipped].contains(entry.status)
}
