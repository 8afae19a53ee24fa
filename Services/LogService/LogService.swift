import Hummingbird
import Logging
import ServiceRuntime

/// The log service: records every outcome and answers the merchant's "what happened, and why?".
@main
struct LogService {
    static func main() async throws {
        let settings = try ProcessBootstrap.configured("switchyard-log-service") { try LogServiceSettings() }
        let registry = ProcessBootstrap.bootstrap(settings: settings.core)
        await ProcessBootstrap.serve("switchyard-log-service", settings: settings.core) {
            let app = try await buildLogService(
                settings: settings, registry: registry, logger: Logger(label: "switchyard.logs"))
            try await app.runService()
        }
    }
}
