import Hummingbird
import Logging
import ServiceRuntime

/// The merchant console: Integration Setup, rules, products, logs and test events in the browser, as a client of
/// the public APIs like any other.
@main
struct Console {
    static func main() async throws {
        let settings = try ProcessBootstrap.configured("switchyard-console") { try ConsoleSettings() }
        let registry = ProcessBootstrap.bootstrap(settings: settings.core)
        await ProcessBootstrap.serve("switchyard-console", settings: settings.core) {
            let app = try await buildConsole(
                settings: settings, registry: registry, logger: Logger(label: "switchyard.console"))
            try await app.runService()
        }
    }
}
