import AMQP
import AsyncHTTPClient
import Connectors
import Hummingbird
import Logging
import Messages
import Pipeline
import PostgresNIO
import Prometheus
import ServiceLifecycle
import ServiceRuntime
import Storage

/// What a connector gets to build itself: the process's configuration, the shared HTTP client and a logger.
public struct ConnectorContext: Sendable {
    /// The process's environment, for the connector's own variables.
    public let settings: Settings
    /// The worker's HTTP client (pooled, with the egress policy's resolver), for calls to the app.
    public let httpClient: HTTPClient
    /// The worker's logger.
    public let logger: Logger
}

/// The configuration every connector worker reads, from the environment.
public struct ConnectorWorkerSettings: Sendable {
    /// The common settings; `core.httpPort` is the health and metrics port (`SWITCHYARD_HTTP_PORT`, the worker's
    /// `defaultPort` by default).
    public var core: CoreSettings
    /// The key credentials are sealed with (`SWITCHYARD_ENCRYPTION_KEY`).
    public var encryptionKey: String
    /// Action commands handled at once (`SWITCHYARD_PREFETCH`).
    public var prefetch: UInt16
    /// Gateway requests (verify, OAuth, refresh) handled at once.
    public var requestPrefetch: UInt16
    /// When a transient failure is tried again, and how often (`SWITCHYARD_RETRY_*`).
    public var retry: RetryPolicy
    /// Attempts of one integration at once in this process (`SWITCHYARD_INTEGRATION_MAX_IN_FLIGHT`, a quarter of
    /// the prefetch by default): the rest wait on the broker, so other integrations keep their share.
    public var integrationMaxInFlight: Int
    /// How long an integration whose app kept failing is paused (`SWITCHYARD_CIRCUIT_COOLDOWN`; doubles while it
    /// keeps failing, up to 10 minutes).
    public var circuitCooldown: Duration

    /// Reads the settings; `defaultPort` is the worker's own health and metrics port.
    public init(defaultPort: Int, _ settings: Settings = Settings()) throws {
        core = try CoreSettings(settings, defaultHTTPPort: defaultPort)
        guard let key = settings.optionalString("SWITCHYARD_ENCRYPTION_KEY") else {
            throw SettingsError(
                key: "SWITCHYARD_ENCRYPTION_KEY", message: "is required to read credentials: base64 of 32 random bytes")
        }
        encryptionKey = key
        prefetch = try settings.prefetch("SWITCHYARD_PREFETCH", default: 64)
        requestPrefetch = try settings.prefetch("SWITCHYARD_REQUEST_PREFETCH", default: 8)
        let delays = try settings.durations("SWITCHYARD_RETRY_DELAYS", default: RetryPolicy.defaultDelays)
        let maximumAge = try settings.optionalString("SWITCHYARD_RETRY_MAX_AGE").map { _ in
            try settings.positiveDuration("SWITCHYARD_RETRY_MAX_AGE", default: RetryPolicy.defaultMaximumAge)
        }
        retry = RetryPolicy(delays: delays, maximumAge: maximumAge)
        integrationMaxInFlight = try settings.int(
            "SWITCHYARD_INTEGRATION_MAX_IN_FLIGHT", default: max(1, Int(prefetch) / 4), in: 1...Int(UInt16.max))
        circuitCooldown = try settings.positiveDuration("SWITCHYARD_CIRCUIT_COOLDOWN", default: .seconds(30))
    }
}

/// Runs one connector as a worker process: competing consumer of `actions.<connector>` and of
/// `requests.<connector>`, with `/health` and `/metrics`. Run more processes of a worker to share its load.
public enum ConnectorWorker {
    /// The whole `main` of a connector worker executable.
    public static func main<C: Connector>(
        processName: String, defaultPort: Int, make: @escaping @Sendable (ConnectorContext) throws -> C
    ) async throws {
        let settings = Settings()
        let core = try ProcessBootstrap.configured(processName) {
            try CoreSettings(settings, defaultHTTPPort: defaultPort)
        }
        let registry = ProcessBootstrap.bootstrap(settings: core)
        await ProcessBootstrap.serve(processName, settings: core) {
            let app = try await ProcessBootstrap.configured(processName) {
                try await build(
                    processName: processName, defaultPort: defaultPort, settings: settings, registry: registry,
                    logger: Logger(label: "switchyard.\(processName)"), make: make)
            }
            try await app.runService()
        }
    }

    /// Builds the process: database client, broker connection, HTTP client, the two consumers and the
    /// health/metrics server. On SIGTERM the consumers drain first, then the clients close.
    public static func build<C: Connector>(
        processName: String, defaultPort: Int, settings: Settings, registry: PrometheusCollectorRegistry,
        logger: Logger,
        make: @Sendable (ConnectorContext) throws -> C
    ) async throws -> some ApplicationProtocol {
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpClientConfiguration)
        let connector: C
        let workerSettings: ConnectorWorkerSettings
        do {
            connector = try make(ConnectorContext(settings: settings, httpClient: httpClient, logger: logger))
            workerSettings = try ConnectorWorkerSettings(defaultPort: defaultPort, settings)
        } catch {
            try await httpClient.shutdown()
            throw error
        }
        let name = connector.descriptor.name
        let database = try workerSettings.core.databaseConfiguration()
        try await Database.migrate(database, logger: logger)
        let postgres = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
        let monitor = DatabaseMonitor(client: postgres, logger: logger)
        let topology = BrokerTopology(prefix: workerSettings.core.amqpPrefix, extra: [name])
        let amqp = try workerSettings.core.brokerConnections(
            processName: processName, topology: topology.amqpTopology(retryDelays: workerSettings.retry.delays),
            logger: logger)
        let cipher = try CredentialCipher(base64Key: workerSettings.encryptionKey)
        let integrations = IntegrationStore(client: postgres, cipher: cipher, logger: logger)
        let claims = ClaimLedger(
            client: postgres, claimant: CoreSettings.instanceName(processName), lease: workerSettings.core.claimLease,
            logger: logger)
        let handler = ActionCommandHandler(
            connector: connector, credentials: CredentialsCache(store: integrations), integrations: integrations,
            claims: claims, connection: amqp.publishing, topology: topology, retry: workerSettings.retry,
            gate: IntegrationGate(
                connector: name, maximumInFlight: workerSettings.integrationMaxInFlight,
                cooldown: workerSettings.circuitCooldown),
            logger: logger)
        let actions = DeliveryConsumer(
            connection: amqp.consuming, queue: topology.actionsQueue(connector: name),
            prefetch: workerSettings.prefetch, deadExchange: topology.deadExchange, publisher: amqp.publishing,
            logger: logger, reading: ActionCommand.self
        ) { command, _ in
            await handler.handle(command)
        }
        let server = ConnectorRequestServer(
            connector: connector, cipher: cipher, integrations: integrations,
            catalog: CatalogStore(client: postgres, logger: logger), connection: amqp.publishing, logger: logger)
        let requests = DeliveryConsumer(
            connection: amqp.consuming, queue: topology.requestsQueue(connector: name),
            prefetch: workerSettings.requestPrefetch
        ) { delivery in
            await server.handle(delivery)
        }

        let router = Router()
        router.addOperationalRoutes(registry: registry, checks: HealthChecks.standard(broker: amqp, database: monitor))
        return Application(
            router: router,
            configuration: .init(
                address: .hostname(workerSettings.core.httpHost, port: workerSettings.core.httpPort),
                serverName: processName),
            services: [
                postgres, monitor, amqp.consuming, amqp.publishing,
                HTTPClientService(client: httpClient, release: { await connector.shutdown() }), actions, requests,
            ],
            onServerRunning: { channel in
                logger.info(
                    "\(name) worker health endpoint listening",
                    metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
            },
            logger: logger)
    }
}

extension ConnectorWorker {
    /// How connectors reach their apps: no redirects followed, a short connect timeout, and up to 64 connections per
    /// host. An app such as Mailchimp serves every account of a data center from one host and allows each account
    /// 10 requests at once, so the client's default of 8 connections per host would throttle all accounts together
    /// below a single account's limit.
    public static var httpClientConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        return configuration
    }
}

/// Keeps the HTTP client alive for the process and shuts it down after the consumers have drained.
struct HTTPClientService: Service {
    let client: HTTPClient
    /// What the connector releases of its own first.
    let release: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await release()
        try await client.shutdown()
    }
}
