import AMQP
import Hummingbird
import Logging
import Messages
import Metrics
import PostgresNIO
import Prometheus
import ServiceRuntime
import Storage

/// Builds the log service: database, broker, the outcome consumer (batched writes), the retention pruner and the
/// HTTP API.
func buildLogService(settings: LogServiceSettings, registry: PrometheusCollectorRegistry, logger: Logger) async throws -> some ApplicationProtocol {
    let database = try settings.core.databaseConfiguration()
    try await Database.migrate(database, logger: logger)
    let postgres = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
    let topology = BrokerTopology(prefix: settings.core.amqpPrefix)
    let amqp = AMQPConnection(
        configuration: try settings.core.amqpConfiguration(connectionName: "switchyard-log-service"),
        topology: topology.amqpTopology(), logger: logger)
    let store = LogStore(client: postgres, logger: logger)
    let retention = LogRetention(
        store: store, keep: settings.retention, interval: settings.retentionInterval, logger: logger)
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
    let consumer = DeliveryConsumer(connection: amqp, queue: topology.outcomesQueue, prefetch: settings.prefetch) { delivery in
        let outcome: Outcome
        do {
            outcome = try MessageCoding.decode(Outcome.self, from: delivery.message.body)
        } catch {
            logger.error("unreadable outcome; dead-lettering it", metadata: ["error": "\(error)"])
            delivery.reject(requeue: false)
            return
        }
        do {
            try await retryingTransientFailures(logger: logger, what: "writing log entries") {
                try await writer.submit(outcome)
            }
            delivery.ack()
        } catch {
            logger.info("outcome left for redelivery", metadata: ["entry_id": "\(outcome.entryID)"])
        }
    }

    let router = Router()
    router.add(middleware: ErrorMiddleware(logger: logger))
    router.addOpenAPIRoute()
    router.addOperationalRoutes(
        registry: registry,
        checks: HealthChecks.standard(broker: amqp, database: postgres))
    let authenticator = APIKeyAuthenticator(store: MarketplaceStore(client: postgres, logger: logger))
    LogRoutes(store: store, authenticator: authenticator).register(on: router)
    ReplayRoutes(store: store, authenticator: authenticator, connection: amqp, topology: topology, logger: logger)
        .register(on: router)
    ConfigLogRoutes(store: ConfigLogStore(client: postgres, logger: logger), authenticator: authenticator)
        .register(on: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(settings.core.httpHost, port: settings.port), serverName: "switchyard-log-service"),
        services: [postgres, amqp, consumer, retention],
        onServerRunning: { channel in
            logger.info("log service listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
        },
        logger: logger)
}
