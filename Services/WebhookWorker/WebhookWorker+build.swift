import AMQP
import AsyncHTTPClient
import Hummingbird
import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import ServiceRuntime
import Storage

/// Builds the webhook worker: database, broker, HTTP client, the action consumer and the health/metrics server.
func buildWebhookWorker(settings: WebhookWorkerSettings, registry: PrometheusCollectorRegistry, logger: Logger) async throws -> some ApplicationProtocol {
    let database = try settings.core.databaseConfiguration()
    try await Database.migrate(database, logger: logger)
    let postgres = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
    let topology = BrokerTopology(prefix: settings.core.amqpPrefix)
    let amqp = AMQPConnection(
        configuration: try settings.core.amqpConfiguration(connectionName: "switchyard-webhook-worker"),
        topology: topology.amqpTopology(retryDelays: settings.retry.delays), logger: logger)
    var clientConfiguration = HTTPClient.Configuration(
        redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .init(settings.timeout)))
    clientConfiguration.connectionPool = .init(idleTimeout: .seconds(60))
    let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
    let cipher = try CredentialCipher(base64Key: settings.encryptionKey)
    let handler = WebhookActionHandler(
        delivery: WebhookDelivery(client: httpClient, timeout: settings.timeout),
        secrets: SecretCache(store: IntegrationStore(client: postgres, cipher: cipher, logger: logger)),
        ledger: EventLedger(client: postgres, logger: logger), connection: amqp, topology: topology, retry: settings.retry,
        logger: logger)
    let consumer = DeliveryConsumer(
        connection: amqp, queue: topology.actionsQueue(connector: "webhook"), prefetch: settings.prefetch
    ) { delivery in
        await handler.handle(delivery)
    }

    let router = Router()
    router.addOperationalRoutes(
        registry: registry,
        checks: HealthChecks.standard(broker: amqp, database: postgres))
    return Application(
        router: router,
        configuration: .init(address: .hostname(settings.core.httpHost, port: settings.port), serverName: "switchyard-webhook-worker"),
        services: [postgres, amqp, HTTPClientService(client: httpClient), consumer],
        onServerRunning: { channel in
            logger.info("webhook worker health endpoint listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
        },
        logger: logger)
}

/// Keeps the HTTP client alive for the process and shuts it down after the consumer has drained.
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
