import Hummingbird
import Logging
import ServiceRuntime

/// The ingest gateway: accepts trigger events from stores and manages marketplaces, integrations and rules.
@main
struct Gateway {
    static func main() async throws {
        let settings = try ProcessBootstrap.configured("switchyard-gateway") { try GatewaySettings() }
        let registry = ProcessBootstrap.bootstrap(settings: settings.core)
        await ProcessBootstrap.serve("switchyard-gateway", settings: settings.core) {
            let app = try await buildGateway(
                settings: settings, registry: registry, logger: Logger(label: "switchyard.gateway"))
            try await app.runService()
        }
    }
}
