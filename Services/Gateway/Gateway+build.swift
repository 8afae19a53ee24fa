import AMQP
import GatewayAPI
import HTTPAPI
import Hummingbird
import Logging
import Pipeline
import PostgresNIO
import Prometheus
import ServiceRuntime
import Storage

/// Builds the gateway process: database client, broker connection, the consumer of its connector replies, the
/// consumer of events published over AMQP and the HTTP server, in that order, so that graceful shutdown stops taking
/// requests first and closes the connections last. The executable runs it; `GatewayTests` run it too.
func buildGateway(settings: GatewaySettings, registry: PrometheusCollectorRegistry, logger: Logger)
    async throws -> some ApplicationProtocol
{
    let parts = try await makeGateway(settings: settings, registry: registry, logger: logger)
    return Application(
        router: parts.router,
        configuration: .init(
            address: .hostname(settings.core.httpHost, port: settings.core.httpPort),
            serverName: "switchyard-gateway"),
        services: parts.services,
        onServerRunning: { channel in
            logger.info("gateway listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
        },
        logger: logger)
}

/// The gateway's parts (see `buildGateway`), so that tests can also compare its routes with its OpenAPI document.
func makeGateway(settings: GatewaySettings, registry: PrometheusCollectorRegistry, logger: Logger)
    async throws -> ProcessParts
{
    let database = try settings.core.databaseConfiguration()
    try await Database.migrate(database, logger: logger)
    let postgres = PostgresClient(configuration: database.clientConfiguration, backgroundLogger: logger)
    let monitor = DatabaseMonitor(client: postgres, logger: logger)
    let topology = BrokerTopology(prefix: settings.core.amqpPrefix)
    // Each gateway process has its own reply queue for its connector requests.
    let replyQueue = topology.replyQueue(instance: Identifier.random(prefix: "gateway"))
    var amqpTopology = topology.amqpTopology()
    amqpTopology.queues.append(replyQueue)
    let amqp = try settings.core.brokerConnections(
        processName: "switchyard-gateway", topology: amqpTopology, logger: logger)
    let cipher = try CredentialCipher(base64Key: settings.encryptionKey)
    let connectors = ConnectorClient(
        connections: amqp, topology: topology, replyQueue: replyQueue.name, timeout: settings.connectorTimeout,
        publishTimeout: settings.publishTimeout, cipher: cipher, logger: logger)
    let marketplaces = MarketplaceStore(client: postgres, logger: logger)

    let router = Router(context: APIRequestContext.self)
    router.add(middleware: ErrorMiddleware(logger: logger))
    router.add(middleware: TextInputMiddleware())
    router.add(middleware: DatabaseAvailabilityMiddleware(monitor: monitor))
    try router.addOpenAPIRoute(document: GatewayAPIDocument.url)
    router.addOperationalRoutes(
        registry: registry,
        checks: HealthChecks.standard(broker: amqp, database: monitor))
    let intake = EventIntake(
        publisher: EventPublisher(connection: amqp.publishing, topology: topology, timeout: settings.publishTimeout),
        ledger: EventLedger(client: postgres, logger: logger), logger: logger)
    let ingest = IngestConsumer(
        intake: intake, marketplaces: KnownMarketplaces(store: marketplaces), publisher: amqp.publishing,
        topology: topology, logger: logger)
    let ingestConsumer = DeliveryConsumer(
        connection: amqp.consuming, queue: topology.ingestQueue, prefetch: settings.ingestPrefetch,
        deadExchange: topology.deadExchange, publisher: amqp.publishing, logger: logger, handler: ingest.handle)
    let integrations = IntegrationStore(client: postgres, cipher: cipher, logger: logger)
    let catalog = CatalogStore(client: postgres, logger: logger)
    let integrationRoutes = IntegrationRoutes(
        integrations: integrations, catalog: catalog, oauthStates: OAuthStateStore(client: postgres, logger: logger),
        connectors: connectors, oauthStateTTL: settings.oauthStateTTL, oauthRedirectURI: settings.oauthRedirectURI,
        logger: logger)

    // Public: what the product offers, and where an app sends the merchant's browser back.
    router.addRoutes(ConnectorRoutes().routes, atPath: "/v1/connectors")
    router.addRoutes(integrationRoutes.callbackRoutes, atPath: "/v1/oauth")
    // Everything else under /v1 acts for the marketplace of the API key.
    let api = router.group("/v1")
        .add(middleware: MarketplaceAuthentication(authenticator: APIKeyAuthenticator(store: marketplaces)))
    api.addRoutes(EventRoutes(intake: intake).routes, atPath: "/events")
    api.addRoutes(integrationRoutes.routes, atPath: "/integrations")
    api.addRoutes(
        RuleRoutes(
            integrations: integrations, rules: RuleStore(client: postgres, logger: logger), catalog: catalog,
            egress: settings.webhookEgress
        ).routes,
        atPath: "/rules")
    api.addRoutes(ProductRoutes(products: ProductStore(client: postgres, logger: logger)).routes, atPath: "/products")
    router.group("/admin/v1").add(middleware: AdminAuthorization(adminToken: settings.adminToken))
        .addRoutes(AdminRoutes(marketplaces: marketplaces).routes, atPath: "/marketplaces")

    return ProcessParts(
        router: router, services: [postgres, monitor] + amqp.services + [connectors.replyConsumer, ingestConsumer])
}
