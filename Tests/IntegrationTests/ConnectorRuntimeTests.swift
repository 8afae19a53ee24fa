import AMQP
import ConnectorKit
import Connectors
import Foundation
import Logging
import Messages
import Pipeline
import PostgresNIO
import Prometheus
import ServiceLifecycle
import ServiceRuntime
import Storage
import Testing

/// A connector whose answers the test scripts: it stands in for an app's code so the shared worker runtime
/// (request/reply, catalog storage, needs_reconnect, outcomes) can be tested on the real broker and database.
actor ScriptedApp {
    var verdicts: [ActionResult.Verdict] = []
    var catalog: Result<[CatalogItem], ConnectorError> = .success([])
    var performed: [(command: ActionCommand, credentials: [String: String])] = []

    func setCatalog(_ result: Result<[CatalogItem], ConnectorError>) { catalog = result }
    func queue(_ verdict: ActionResult.Verdict) { verdicts.append(verdict) }
    func record(_ command: ActionCommand, _ credentials: [String: String]) -> ActionResult.Verdict {
        performed.append((command, credentials))
        return verdicts.isEmpty ? .success : verdicts.removeFirst()
    }
}

struct ScriptedConnector: Connector {
    let app: ScriptedApp

    var descriptor: ConnectorDescriptor {
        ConnectorDescriptor(
            name: "scripted", displayName: "Scripted", auth: .apiKey, credentialFields: [],
            actions: [.init(name: "add_to_list", displayName: "Add", destinationKind: .list)])
    }

    func perform(_ command: ActionCommand, credentials: IntegrationCredentials) async -> ActionResult {
        let verdict = await app.record(command, credentials.values)
        let reason = verdict == .needsReconnect ? "Scripted refused the API key." : "Scripted answered."
        return ActionResult(
            verdict: verdict, reason: reason, request: "PUT /thing", response: "HTTP 200", duration: .milliseconds(1))
    }

    func verify(_ credentials: [String: String]) async throws -> ConnectedAccount {
        guard credentials["api_key"] == "good" else {
            throw ConnectorError(.needsReconnect, "Scripted refused the API key.")
        }
        return ConnectedAccount(credentials: ["api_key": "good", "dc": "us6"], account: "Scripted shop (us6)")
    }

    func authorizeURL(state: String, redirectURI: String) async throws -> String {
        "https://scripted.example/authorize?state=\(state)"
    }

    func exchange(code: String, redirectURI: String) async throws -> ConnectedAccount {
        ConnectedAccount(credentials: ["token": code], account: "OAuth shop")
    }

    func catalog(credentials: IntegrationCredentials) async throws -> [CatalogItem] {
        try await app.catalog.get()
    }
}

/// The shared connector worker runtime, run in-process with the scripted connector against the real servers.
final class RuntimeHarness: Sendable {
    let app = ScriptedApp()
    let topology: BrokerTopology
    let cipher: CredentialCipher
    let postgres: PostgresClient
    let amqp: AMQPConnection
    let replyQueue: String
    let group: ServiceGroup
    let integrations: IntegrationStore
    let marketplaceID: String
    let integrationID: String

    init() async throws {
        guard let databaseURL = TestEnvironment.databaseURL, let amqpURL = TestEnvironment.amqpURL else {
            throw HarnessError("SWITCHYARD_TEST_DATABASE_URL and SWITCHYARD_TEST_AMQP_URL are required")
        }
        let runID = Identifier.random(prefix: "r").replacingOccurrences(of: "_", with: "")
        try await TestStack.createDatabase("switchyard_\(runID)", adminURL: databaseURL)
        let testDatabaseURL = try DatabaseConfiguration(url: databaseURL).url(database: "switchyard_\(runID)")
        let key = CredentialCipher.generateKey()
        let prefix = "sy\(runID)"
        let logger = Logger(label: "runtime-test")
        topology = BrokerTopology(prefix: prefix, extra: ["scripted"])
        cipher = try CredentialCipher(base64Key: key)
        let database = try DatabaseConfiguration(url: testDatabaseURL)
        try await Database.migrate(database, logger: logger)
        postgres = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
        replyQueue = topology.replyQueue(instance: runID).name
        var declared = topology.amqpTopology()
        declared.queues.append(topology.replyQueue(instance: runID))
        amqp = AMQPConnection(
            configuration: try AMQPConfiguration(url: amqpURL, connectionName: "runtime-test"), topology: declared,
            logger: logger)
        let settings = Settings([
            "SWITCHYARD_DATABASE_URL": testDatabaseURL, "SWITCHYARD_AMQP_URL": amqpURL,
            "SWITCHYARD_AMQP_PREFIX": prefix,
            "SWITCHYARD_ENCRYPTION_KEY": key, TestStack.portKey: "\(TestStack.freePorts(1)[0])",
            "SWITCHYARD_RETRY_DELAYS": "1s,2s",
        ])
        let app = self.app
        let worker = try await ConnectorWorker.build(
            processName: "scripted-worker", defaultPort: 0, settings: settings, registry: PrometheusCollectorRegistry(),
            logger: logger
        ) { _ in ScriptedConnector(app: app) }
        group = ServiceGroup(configuration: .init(services: [postgres, amqp, worker], logger: logger))
        integrations = IntegrationStore(client: postgres, cipher: cipher, logger: logger)
        let group = self.group
        Task { try await group.run() }
        guard await amqp.waitUntilConnected(timeout: .seconds(20)) else { throw HarnessError("broker not reachable") }
        let (marketplace, _) = try await MarketplaceStore(client: postgres, logger: logger).create(name: "Runtime")
        marketplaceID = marketplace.id
        integrationID = try await integrations.create(
            marketplaceID: marketplace.id, connector: "scripted", label: "Main", credentials: ["api_key": "good"],
            account: "Scripted shop"
        ).id
    }

    func stop() async { await group.triggerGracefulShutdown() }

    /// Sends a request the way the gateway does and waits for the reply.
    func ask(_ request: ConnectorRequest) async throws -> ConnectorReply {
        let consumer = amqp.consume(queue: replyQueue, prefetch: 10)
        defer { consumer.cancel() }
        try await amqp.publish(
            AMQPMessage(
                body: try MessageCoding.encode(request), messageID: request.requestID, type: ConnectorRequest.contract,
                correlationID: request.requestID, replyTo: replyQueue, expiration: .seconds(10), persistent: false),
            exchange: topology.requestsExchange, routingKey: "scripted")
        return try await withThrowingTaskGroup(of: ConnectorReply?.self) { group in
            group.addTask {
                for await delivery in consumer {
                    delivery.ack()
                    if delivery.message.correlationID == request.requestID {
                        return try MessageCoding.decode(ConnectorReply.self, from: delivery.message.body)
                    }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(15))
                return nil
            }
            defer { group.cancelAll() }
            guard let reply = try await group.next() ?? nil else { throw HarnessError("no reply within 15 s") }
            return reply
        }
    }

    /// Publishes an action command for the integration and returns the outcomes published for it until one is
    /// final (`success`/`failed`).
    func act(entryID: String = Identifier.random(prefix: "le")) async throws -> [Outcome] {
        let command = ActionCommand(
            commandID: entryID, marketplaceID: marketplaceID,
            event: TriggerEvent(
                id: Identifier.random(prefix: "ev"), type: .productPurchased,
                customer: .init(email: "jane@example.com"),
                product: .init(id: "prod_1")),
            rule: RuleSnapshot(
                id: "rule_1", trigger: .productPurchased, productID: nil, integrationID: integrationID,
                integrationLabel: "Main", connector: "scripted", action: "add_to_list",
                destination: Destination(kind: .list, id: "l1", name: "Newsletter")),
            createdAt: Date())
        let consumer = amqp.consume(queue: topology.outcomesQueue, prefetch: 50)
        defer { consumer.cancel() }
        try await amqp.publish(
            AMQPMessage(body: try MessageCoding.encode(command), messageID: entryID, type: ActionCommand.contract),
            exchange: topology.actionsExchange, routingKey: "scripted")
        var outcomes: [Outcome] = []
        let deadline = ContinuousClock.now + .seconds(20)
        for await delivery in consumer {
            delivery.ack()
            let outcome = try MessageCoding.decode(Outcome.self, from: delivery.message.body)
            guard outcome.entryID == entryID else { continue }
            outcomes.append(outcome)
            if outcome.status == .success || outcome.status == .failed || ContinuousClock.now > deadline { break }
        }
        return outcomes
    }

    func status() async throws -> String? {
        try await integrations.get(marketplaceID: marketplaceID, id: integrationID)?.status
    }

    func configLog() async throws -> [ConfigLogEntry] {
        try await ConfigLogStore(client: postgres, logger: Logger(label: "test")).list(
            marketplaceID: marketplaceID, before: nil, limit: 100
        ).entries
    }

    func sealed(_ credentials: [String: String]) throws -> String {
        try cipher.sealForTransit(credentials: credentials)
    }
}

extension Integration {
    @Suite struct ConnectorRuntimeTests {
        @Test func verifyRepliesWithSealedNormalizedCredentialsOrTheRefusal() async throws {
            let harness = try await RuntimeHarness()
            defer { Task { await harness.stop() } }
            let good = try await harness.ask(
                ConnectorRequest(
                    requestID: "req_good", operation: .verify, connector: "scripted",
                    marketplaceID: harness.marketplaceID,
                    sealedCredentials: try harness.sealed(["api_key": "good"])))
            #expect(good.error == nil)
            #expect(good.account == "Scripted shop (us6)")
            let opened = try harness.cipher.openFromTransit(good.sealedCredentials ?? "")
            #expect(opened == ["api_key": "good", "dc": "us6"])

            let bad = try await harness.ask(
                ConnectorRequest(
                    requestID: "req_bad", operation: .verify, connector: "scripted",
                    marketplaceID: harness.marketplaceID,
                    sealedCredentials: try harness.sealed(["api_key": "wrong"])))
            #expect(
                bad.error == ConnectorReply.Failure(code: .invalidCredentials, message: "Scripted refused the API key.")
            )
            #expect(bad.sealedCredentials == nil)

            let url = try await harness.ask(
                ConnectorRequest(
                    requestID: "req_url", operation: .authorizeURL, connector: "scripted",
                    marketplaceID: harness.marketplaceID,
                    state: "st_1", redirectURI: "http://127.0.0.1/cb"))
            #expect(url.authorizeURL == "https://scripted.example/authorize?state=st_1")
        }

        @Test func refreshReplacesTheCatalogAndLogsIt() async throws {
            let harness = try await RuntimeHarness()
            defer { Task { await harness.stop() } }
            let catalog = CatalogStore(client: harness.postgres, logger: Logger(label: "test"))
            try await catalog.upsert(integrationID: harness.integrationID, kind: .list, id: "old", name: "Old list")
            await harness.app.setCatalog(
                .success([
                    CatalogItem(kind: .list, id: "l1", name: "Newsletter"),
                    CatalogItem(kind: .list, id: "l2", name: "Buyers"),
                    CatalogItem(kind: .tag, id: "t1", name: "VIP", parentID: "l1"),
                    CatalogItem(kind: .tag, id: "t1", name: "VIP", parentID: "l1"),
                ]))
            let reply = try await harness.ask(
                ConnectorRequest(
                    requestID: "req_refresh", operation: .refresh, connector: "scripted",
                    marketplaceID: harness.marketplaceID,
                    integrationID: harness.integrationID))
            #expect(reply.error == nil)
            #expect(reply.catalogCounts == ["list": 2, "tag": 1])
            #expect(
                try await catalog.entryID(integrationID: harness.integrationID, kind: .list, id: nil, name: "Old list")
                    == nil)
            #expect(
                try await catalog.entryID(integrationID: harness.integrationID, kind: .tag, id: nil, name: "VIP")
                    == "t1")
            let integration = try await harness.integrations.get(
                marketplaceID: harness.marketplaceID, id: harness.integrationID)
            #expect(integration?.refreshedAt != nil)
            let log = try await harness.configLog()
            #expect(log.first?.kind == .refreshed)
            #expect(log.first?.message == "Refreshed from Scripted: 2 lists, 1 tag.")

            // Another marketplace cannot refresh it: the integration reads as missing.
            let foreign = try await harness.ask(
                ConnectorRequest(
                    requestID: "req_foreign", operation: .refresh, connector: "scripted", marketplaceID: "mkt_other",
                    integrationID: harness.integrationID))
            #expect(foreign.error?.code == .badRequest)
        }

        @Test func refusedRefreshMarksNeedsReconnectOnceAndKeepsTheCatalog() async throws {
            let harness = try await RuntimeHarness()
            defer { Task { await harness.stop() } }
            let catalog = CatalogStore(client: harness.postgres, logger: Logger(label: "test"))
            try await catalog.upsert(integrationID: harness.integrationID, kind: .list, id: "l1", name: "Newsletter")
            await harness.app.setCatalog(.failure(ConnectorError(.needsReconnect, "Scripted refused the API key.")))
            for number in 1...2 {
                let reply = try await harness.ask(
                    ConnectorRequest(
                        requestID: "req_\(number)", operation: .refresh, connector: "scripted",
                        marketplaceID: harness.marketplaceID, integrationID: harness.integrationID))
                #expect(reply.error?.code == .invalidCredentials)
            }
            #expect(try await harness.status() == "needs_reconnect")
            #expect(
                try await catalog.entryID(
                    integrationID: harness.integrationID, kind: .list, id: nil, name: "Newsletter") == "l1")
            let kinds = try await harness.configLog().map(\.kind)
            #expect(kinds.filter { $0 == .needsReconnect }.count == 1)
            #expect(kinds.filter { $0 == .refreshFailed }.count == 2)
        }

        @Test func refusedCredentialsFailTheActionAndMarkTheIntegration() async throws {
            let harness = try await RuntimeHarness()
            defer { Task { await harness.stop() } }
            await harness.app.queue(.needsReconnect)
            let outcomes = try await harness.act()
            #expect(outcomes.last?.status == .failed)
            #expect(outcomes.last?.reason.contains("needs reconnecting") == true)
            #expect(outcomes.last?.attempt?.outcome == .permanentFailure)
            #expect(try await harness.status() == "needs_reconnect")
            #expect(try await harness.configLog().first?.kind == .needsReconnect)
            #expect(await harness.app.performed.first?.credentials == ["api_key": "good"])

            // A second refusal of the same credentials fails its action too, but the configuration log says it once.
            await harness.app.queue(.needsReconnect)
            _ = try await harness.act()
            #expect(try await harness.configLog().filter { $0.kind == .needsReconnect }.count == 1)
        }

        @Test func aRefusalOfReplacedCredentialsIsRetriedWithTheNewOnes() async throws {
            let harness = try await RuntimeHarness()
            defer { Task { await harness.stop() } }
            // The worker read the old credentials; the merchant reconnects before the app's refusal is handled.
            _ = try await harness.act()
            try await harness.postgres.query(
                "UPDATE integrations SET credentials = \(Data(try harness.cipher.seal(credentials: ["api_key": "new"]))) WHERE id = \(harness.integrationID)"
            )
            await harness.app.queue(.needsReconnect)
            let outcomes = try await harness.act()
            #expect(outcomes.first?.status == .retrying)
            #expect(outcomes.last?.status == .success)
            #expect(try await harness.status() == "connected")
            #expect(await harness.app.performed.last?.credentials == ["api_key": "new"])
        }
    }
}
