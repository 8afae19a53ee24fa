import ConnectorKit
import Connectors
import ServiceRuntime

/// The webhook connector worker: POSTs signed events to merchants' URLs. Run more processes to share the load.
@main
struct WebhookWorker {
    static func main() async throws {
        try await ConnectorWorker.main(processName: "switchyard-webhook-worker", defaultPort: 8083) { context in
            try WebhookConnector(
                delivery: WebhookDelivery(
                    client: context.httpClient,
                    timeout: context.settings.positiveDuration("SWITCHYARD_WEBHOOK_TIMEOUT", default: .seconds(15)),
                    resolver: PinnedResolver(
                        policy: try context.settings.webhookEgressPolicy(),
                        configuration: ConnectorWorker.httpClientConfiguration)))
        }
    }
}
