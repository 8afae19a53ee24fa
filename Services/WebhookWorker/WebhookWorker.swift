import Hummingbird
import Logging
import ServiceRuntime

/// The webhook connector worker: POSTs signed events to merchants' URLs. Run more processes to share the load.
@main
struct WebhookWorker {
    static func main() async throws {
        let settings = try WebhookWorkerSettings()
        let registry = ProcessBootstrap.bootstrap(settings: settings.core)
        let app = try await buildWebhookWorker(settings: settings, registry: registry, logger: Logger(label: "switchyard.webhook"))
        try await app.runService()
    }
}
