import AMQP
import HTTPAPI
import Hummingbird
import LogServiceAPI
import Logging
import Messages
import Metrics
import Pipeline
import PostgresNIO
import Prometheus
import ServiceLifecycle
import ServiceRuntime
import Storage

/// Builds the log service: database, broker, the outcome consumer (batched writes), the retention pruner and the
/// HTTP API. The executable runs it; `LogServiceTests` run it too.
func buildLogService(settings: LogServiceSettings, registry: PrometheusCollectorRegistry, logger: Logger)
    async throws -> some ApplicationProtocol
{
    let parts = try await makeLogService(settings: settings, registry: registry, logger: logger)
    return Application(
        router: parts.router,
        configuration: .init(
            address: .hostname(settings.core.httpHost, port: settings.core.httpPort),
            serverName: "switchyard-log-service"),
        services: parts.services,
        onServerRunning: { channel in
            logger.info("log service listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
        },
        logger: logger)
}

/// The log service's parts (see `buildLogService`), so that tests can also compare its routes with its OpenAPI
/// document.
func makeLogService(settings: LogServiceSettings, registry: PrometheusCollectorRegistry, logger: Logger)
    async throws -> ProcessParts
{
    let database = try settings.core.databaseConfiguration()
    try await Database.migrate(database, logger: logger)
    let postgres = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
    let monitor = DatabaseMonitor(client: postgres, logger: logger)
    let topology = BrokerTopology(prefix: settings.core.amqpPrefix)
    let amqp = try settings.core.brokerConnections(
        processName: "switchyard-log-service", topology: topology.amqpTopology(), logger: logger)
    let store = LogStore(client: postgres, logger: logger)
    let claims = ClaimLedger(
        client: postgres, claimant: CoreSettings.instanceName("switchyard-log-service"),
        lease: settings.core.claimLease, logger: logger)
    let retention = LogRetention(
        store: store, claims: claims, keep: settings.retention, interval: settings.retentionInterval, logger: logger)
    let written = Counter(label: "switchyard_logs_outcomes_written_total")
    // Outcomes written ÷ batches is the batch size: how well writes share a transaction under load.
    let batches = Counter(label: "switchyard_logs_write_batches_total")
    // One flush at a time: writers take turns on an advisory lock anyway (see LogStore.write), so a second flush
    // would only hold a connection while it waits; meanwhile outcomes gather into the next, larger batch.
    let writer = BatchWriter<Outcome, Void>(maximumBatch: 500, maximumConcurrentFlushes: 1) { outcomes in
        try await store.write(outcomes)
        retention.noteWritten(Set(outcomes.map(\.marketplaceID)))
        written.increment(by: outcomes.count)
        batches.increment()
        return outcomes.map { _ in () }
    }
    let consumer = DeliveryConsumer(
        connection: amqp.consuming, queue: topology.outcomesQueue, prefetch: settings.prefetch,
        deadExchange: topology.deadExchange, publisher: amqp.publishing, logger: logger, reading: Outcome.self
    ) { outcome, _ in
        do {
            try await retryingTransientFailures(logger: logger, what: "writing log entries") {
                try await writer.submit(outcome)
            }
            return .ack
        } catch {
            if Task.isShuttingDownGracefully {
                logger.info("outcome left for redelivery", metadata: ["entry_id": "\(outcome.entryID)"])
                return .redeliver
            }
            // Only this outcome's data is refused (a batch that fails for its data is written item by item).
            logger.error(
                "outcome cannot be written; dead-lettering it",
                metadata: ["entry_id": "\(outcome.entryID)", "error": "\(error)"])
            return .deadLetter(reason: ProcessingFailure.describe(error))
        }
    }
    let recorder = DeadLetterRecorder(writer: writer, connection: amqp.publishing, topology: topology, logger: logger)
    let deadLetters = DeliveryConsumer(
        connection: amqp.consuming, queue: topology.deadQueue, prefetch: 50, deadExchange: nil, logger: logger
    ) { delivery in
        await recorder.handle(delivery)
    }
    let outbox = ReplayOutbox(
        store: store, connection: amqp.publishing, topology: topology, interval: .seconds(5), logger: logger)

    let router = Router(context: APIRequestContext.self)
    router.add(middleware: ErrorMiddleware(logger: logger))
    router.add(middleware: TextInputMiddleware())
    router.add(middleware: DatabaseAvailabilityMiddleware(monitor: monitor))
    try router.addOpenAPIRoute(document: LogServiceAPIDocument.url)
    router.addOperationalRoutes(
        registry: registry,
        checks: HealthChecks.standard(broker: amqp, database: monitor))
    // Everything under /v1 acts for the marketplace of the API key.
    let authenticator = APIKeyAuthenticator(store: MarketplaceStore(client: postgres, logger: logger))
    let api = router.group("/v1").add(middleware: MarketplaceAuthentication(authenticator: authenticator))
    api.addRoutes(LogRoutes(store: store).routes, atPath: "/logs")
    api.addRoutes(
        ReplayRoutes(store: store, connection: amqp.publishing, topology: topology, logger: logger).routes,
        atPath: "/logs")
    api.addRoutes(
        ConfigLogRoutes(store: ConfigLogStore(client: postgres, logger: logger)).routes, atPath: "/config-logs")
    return ProcessParts(
        router: router, services: [postgres, monitor] + amqp.services + [consumer, deadLetters, outbox, retention])
}
