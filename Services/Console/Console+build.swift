import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Prometheus
import ServiceRuntime

/// Builds the console: the merchant's screens over the gateway's and the log service's public APIs. The
/// executable runs it; the console's route tests and browser test run it too.
func buildConsole(settings: ConsoleSettings, registry: PrometheusCollectorRegistry, logger: Logger) async throws
    -> some ApplicationProtocol
{
    let router = try await makeConsoleRouter(settings: settings, registry: registry, logger: logger)
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(settings.core.httpHost, port: settings.core.httpPort),
            serverName: "switchyard-console"),
        onServerRunning: { channel in
            logger.info(
                "console listening",
                metadata: [
                    "address": "\(channel.localAddress?.description ?? "?")", "url": "\(settings.publicURL)",
                ])
        },
        logger: logger)
}

/// The console's router (see `buildConsole`).
func makeConsoleRouter(settings: ConsoleSettings, registry: PrometheusCollectorRegistry, logger: Logger)
    async throws -> Router<ConsoleContext>
{
    if settings.sessionKey == nil {
        logger.warning(
            "SWITCHYARD_CONSOLE_SESSION_KEY is not set: sessions are sealed with a random key and end when the console restarts"
        )
    }
    let views = try await Views.bundled()
    let assets = try StaticAssets.bundled()
    let sealer = SessionSealer(key: settings.sessionKey)
    let api = ConsoleAPI(gatewayURL: settings.gatewayURL, logsURL: settings.logsURL, httpClient: .shared)

    let router = Router(context: ConsoleContext.self)
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: SessionMiddleware(sealer: sealer, views: views))
    router.add(middleware: ConsoleErrorMiddleware(views: views))
    router.addOperationalRoutes(registry: registry, checks: [:])
    router.addRoutes(assets.routes, atPath: "/static")
    router.get("/") { _, _ in Redirect.to("/integrations") }
    router.addRoutes(
        SignInRoutes(
            views: views, api: api, sealer: sealer, lifetime: settings.sessionLifetime,
            secureCookies: settings.secureCookies
        ).routes)
    let returnURL = settings.publicURL.appending(path: "integrations/connected").absoluteString
    router.addRoutes(
        IntegrationPages(
            views: views, api: api, oauthReturnURL: returnURL, icontactAppID: settings.icontactAppID,
            icontactRegistrationURL: settings.icontactRegistrationURL
        ).routes,
        atPath: "/integrations")
    let rules = RulePages(views: views, api: api)
    router.addRoutes(rules.routes, atPath: "/rules")
    router.addRoutes(ProductPages(views: views, api: api, rules: rules).routes, atPath: "/products")
    let logs = LogPages(views: views, api: api)
    router.addRoutes(logs.routes, atPath: "/logs")
    router.addRoutes(logs.configRoutes, atPath: "/config-logs")
    router.addRoutes(TestEventPages(views: views, api: api).routes, atPath: "/test-event")
    return router
}

/// Headers every answer carries: scripts and styles only from the console itself, no framing, no sniffing.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = ConsoleContext

    func handle(_ request: Request, context: ConsoleContext, next: (Request, ConsoleContext) async throws -> Response)
        async throws -> Response
    {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] =
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "same-origin"
        response.headers[.xFrameOptions] = "DENY"
        return response
    }
}

extension HTTPField.Name {
    static let xFrameOptions = spelled("X-Frame-Options")
    static let referrerPolicy = spelled("Referrer-Policy")

    /// A field name spelled in this source, so always a valid token: `nil` from `init?(_:)` is a programming error.
    static func spelled(_ name: String) -> Self {
        guard let field = Self(name) else { preconditionFailure("\(name) is not a valid HTTP field name") }
        return field
    }
}
