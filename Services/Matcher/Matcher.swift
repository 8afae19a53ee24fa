import Hummingbird
import Logging
import ServiceRuntime

/// The rule matcher: turns each trigger event into one action command per matching rule.
@main
struct Matcher {
    static func main() async throws {
        let settings = try ProcessBootstrap.configured("switchyard-matcher") { try MatcherSettings() }
        let registry = ProcessBootstrap.bootstrap(settings: settings.core)
        await ProcessBootstrap.serve("switchyard-matcher", settings: settings.core) {
            let app = try await buildMatcher(
                settings: settings, registry: registry, logger: Logger(label: "switchyard.matcher"))
            try await app.runService()
        }
    }
}
