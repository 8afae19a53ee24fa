import Connectors
import Foundation
import ServiceRuntime

/// The gateway's configuration, from the environment.
struct GatewaySettings: Sendable {
    /// The common settings; `core.httpPort` is this service's port (`SWITCHYARD_HTTP_PORT`, 8080 by default).
    var core: CoreSettings
    /// Encrypts integration credentials; required because the gateway stores them.
    var encryptionKey: String
    /// The operator's token for `/admin/…`; when unset, the admin API refuses every call.
    var adminToken: String?
    /// How long a publish may wait for the broker's confirm before the event is refused with 503.
    var publishTimeout: Duration
    /// How long a request to a connector worker (verify, OAuth, refresh) may take before the API answers 503.
    var connectorTimeout: Duration
    /// How long an OAuth connection may take from its start to the app's callback.
    var oauthStateTTL: Duration
    /// Where merchants' browsers reach this gateway; the OAuth redirect URI is built from it.
    var publicURL: String
    /// Events published over AMQP handled at once (`SWITCHYARD_INGEST_PREFETCH`).
    var ingestPrefetch: UInt16
    /// Internal networks webhook rules may name (`SWITCHYARD_WEBHOOK_ALLOW_NETWORKS`).
    var webhookEgress: EgressPolicy

    /// The URI the app sends the merchant back to after an OAuth sign-in (registered with the app).
    var oauthRedirectURI: String { publicURL + "/v1/oauth/callback" }

    init(_ settings: Settings = Settings()) throws {
        core = try CoreSettings(settings, defaultHTTPPort: 8080)
        guard let key = settings.optionalString("SWITCHYARD_ENCRYPTION_KEY") else {
            throw SettingsError(
                key: "SWITCHYARD_ENCRYPTION_KEY",
                message: "is required: base64 of 32 random bytes (openssl rand -base64 32)")
        }
        encryptionKey = key
        adminToken = settings.optionalString("SWITCHYARD_ADMIN_TOKEN")
        publishTimeout = try settings.positiveDuration("SWITCHYARD_PUBLISH_TIMEOUT", default: .seconds(5))
        connectorTimeout = try settings.duration("SWITCHYARD_CONNECTOR_TIMEOUT", default: .seconds(15))
        guard connectorTimeout > .zero else {
            throw SettingsError(key: "SWITCHYARD_CONNECTOR_TIMEOUT", message: "must be longer than zero")
        }
        oauthStateTTL = try settings.duration("SWITCHYARD_OAUTH_STATE_TTL", default: .seconds(600))
        guard oauthStateTTL > .zero else {
            throw SettingsError(key: "SWITCHYARD_OAUTH_STATE_TTL", message: "must be longer than zero")
        }
        webhookEgress = try settings.webhookEgressPolicy()
        ingestPrefetch = try settings.prefetch("SWITCHYARD_INGEST_PREFETCH", default: 100)
        let url = settings.string("SWITCHYARD_PUBLIC_URL", default: "http://127.0.0.1:\(core.httpPort)")
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw SettingsError(key: "SWITCHYARD_PUBLIC_URL", message: "must be an http or https URL, not \"\(url)\"")
        }
        publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
    }
}
