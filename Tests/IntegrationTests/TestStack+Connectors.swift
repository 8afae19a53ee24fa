import Foundation
import VendorFakes

/// Helpers for the connector suites: accounts in the vendor fakes, integrations connected through the public API,
/// rules on them, events through the whole pipeline, and an extra worker process.
extension TestStack {
    /// A new Mailchimp account in the fake with an API key; `name` shows in the integration's `account`.
    func mailchimpAccount(name: String = "Store \(UUID().uuidString.prefix(6))") async -> (id: String, apiKey: String) {
        let id = await fakes.mailchimp.addAccount(dc: "us6", name: name, email: "owner@example.com")
        return (id, await fakes.mailchimp.issueAPIKey(account: id))
    }

    /// `POST /v1/integrations`, as a merchant connects an app: the integration created.
    func connect(key: String, connector: String, label: String, credentials: [String: String]?) async throws
        -> Gateway.Integration
    {
        let body = Gateway.ConnectIntegration(
            connector: connector, label: label, credentials: credentials.map { .init(additionalProperties: $0) })
        return try await client(key).gateway.connectIntegration(body: .json(body)).created.body.json
    }

    /// Connects with credentials and waits for the first refresh the gateway asks for after a connect, so that it
    /// cannot interfere with what a test does next. Returns the integration.
    func connected(key: String, connector: String, label: String, credentials: [String: String]) async throws
        -> Gateway.Integration
    {
        let integration = try await connect(key: key, connector: connector, label: label, credentials: credentials)
        return try await refreshed(key: key, integrationID: integration.id)
    }

    /// The integration once a refresh has stored its catalog (`refreshed_at` set).
    func refreshed(key: String, integrationID: String, timeout: Duration = .seconds(20)) async throws
        -> Gateway.Integration
    {
        let deadline = ContinuousClock.now + timeout
        let gateway = try client(key).gateway
        while true {
            let integration = try await gateway.getIntegration(path: .init(id: integrationID)).ok.body.json
            if integration.refreshedAt != nil { return integration }
            guard ContinuousClock.now < deadline else {
                throw HarnessError("integration \(integrationID) was never refreshed: \(integration)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A global `product.purchased` rule performing `action` on `destination`; returns the created rule.
    @discardableResult
    func appRule(key: String, integrationID: String, action: String, destination: Gateway.Destination)
        async throws -> Gateway.Rule
    {
        let rule = Gateway.RuleInput(
            scope: .global, trigger: .product_purchased, integrationId: integrationID, action: action,
            destination: destination)
        return try await client(key).gateway.createRule(body: .json(rule)).created.body.json
    }

    /// Publishes a purchase by `email` and returns its `count` log entries once they are final.
    func purchase(key: String, email: String, count: Int = 1, timeout: Duration = .seconds(30)) async throws
        -> [Logs.LogEntry]
    {
        let event = TestStack.event(type: .product_purchased, email: email)
        try await publishAccepted(key: key, event)
        let entries = try await finalEntries(key: key, eventID: event.id, count: count, timeout: timeout)
        guard entries.count == count else {
            throw HarnessError("expected \(count) final entries for \(email), got \(entries)")
        }
        return entries
    }

    /// `GET /v1/config-logs` of the marketplace, newest first.
    func configLog(key: String) async throws -> [Logs.ConfigLogEntry] {
        try await client(key).logs.listConfigLogs().ok.body.json.entries
    }

    /// The value of a Prometheus counter (summed over its label sets) at `metricsURL`; 0 when absent.
    static func counter(_ name: String, at metricsURL: String) async throws -> Double {
        let text = try await API.raw("GET", metricsURL).text
        return text.split(separator: "\n").filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    /// The `/metrics` URL of a worker process.
    func metricsURL(of worker: ServiceProcess) -> String {
        "http://127.0.0.1:\(worker.environment[Self.portKey] ?? "0")/metrics"
    }

    /// Runs `body` while one more Mailchimp worker process consumes the same queues (its own port and log file);
    /// the process is stopped afterwards, whatever `body` does. `body` gets the extra worker.
    func withExtraMailchimpWorker<T>(_ body: (ServiceProcess) async throws -> T) async throws -> T {
        try await withExtraWorker(like: mailchimpWorker, body)
    }

    /// Runs `body` while one more process like `worker` (its own health port and log file)
    /// consumes the same queues; it is stopped afterwards, whatever `body` does.
    func withExtraWorker<T>(
        like worker: ServiceProcess, _ body: (ServiceProcess) async throws -> T
    ) async throws -> T {
        var environment = worker.environment
        environment[Self.portKey] = "\(Self.freePorts(1)[0])"
        let extra = ServiceProcess(
            name: worker.name, instance: "extra-\(UUID().uuidString.prefix(4))", environment: environment,
            logDirectory: worker.logDirectory)
        try extra.start()
        defer { extra.terminate() }
        try await Self.waitUntilHealthy(
            ["http://127.0.0.1:\(environment[Self.portKey] ?? "0")/health"], processes: [extra], timeout: .seconds(60))
        return try await body(extra)
    }

    /// Every log file the stack's processes (and extra workers) have written.
    func serviceLogs() throws -> [(name: String, text: String)] {
        let directory = gateway.logDirectory
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map { name in
            (name, try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))
        }
    }
}

/// The reason of a log entry, or "" when there is no entry.
func reason(_ entry: Logs.LogEntry?) -> String { entry?.reason ?? "" }
