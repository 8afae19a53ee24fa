import AMQP
import Hummingbird
import Logging
import Messages
import Pipeline
import PostgresNIO
import Prometheus
import ServiceRuntime
import Storage

/// Builds the matcher process: database, broker, the trigger consumer, and a small HTTP server for `/health`
/// and `/metrics`. The consumer comes after the connection, so on shutdown it drains before the connection closes.
func buildMatcher(settings: MatcherSettings, registry: PrometheusCollectorRegistry, logger: Logger) async throws
    -> some ApplicationProtocol
{
    let database = try settings.core.databaseConfiguration()
    try await Database.migrate(database, logger: logger)
    let postgres = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
    let monitor = DatabaseMonitor(client: postgres, logger: logger)
    let topology = BrokerTopology(prefix: settings.core.amqpPrefix)
    let amqp = try settings.core.brokerConnections(
        processName: "switchyard-matcher", topology: topology.amqpTopology(triggerDelay: settings.prospectDelay),
        logger: logger)
    let matcher = EventMatcher(
        rules: RulesCache(store: RuleStore(client: postgres, logger: logger)),
        claims: ClaimLedger(
            client: postgres, claimant: CoreSettings.instanceName("switchyard-matcher"),
            lease: settings.core.claimLease, logger: logger),
        purchases: PurchaseLedger(client: postgres, logger: logger),
        products: ProductStore(client: postgres, logger: logger),
        connection: amqp.publishing, topology: topology, prospectDelay: settings.prospectDelay, logger: logger)
    let consumer = DeliveryConsumer(
        connection: amqp.consuming, queue: topology.triggersQueue, prefetch: settings.prefetch,
        deadExchange: topology.deadExchange, publisher: amqp.publishing, logger: logger, reading: TriggerMessage.self
    ) { message, delivery in
        await matcher.handle(message, delivery)
    }

    let router = Router()
    router.addOperationalRoutes(
        registry: registry,
        checks: HealthChecks.standard(broker: amqp, database: monitor))
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(settings.core.httpHost, port: settings.core.httpPort),
            serverName: "switchyard-matcher"),
        services: [postgres, monitor] + amqp.services + [consumer],
        logger: logger)
}
