import ServiceRuntime

/// The gateway's configuration, from the environment.
struct GatewaySettings: Sendable {
    var core: CoreSettings
    var port: Int
    /// Encrypts integration credentials; required because the gateway stores them.
    var encryptionKey: String
    /// The operator's token for `/admin/…`; when unset, the admin API refuses every call.
    var adminToken: String?
    /// How long a publish may wait for the broker's confirm before the event is refused with 503.
    var publishTimeout: Duration

    init(_ settings: Settings = Settings()) throws {
        core = try CoreSettings(settings)
        port = try settings.int("SWITCHYARD_GATEWAY_PORT", default: 8080)
        guard let key = settings.optionalString("SWITCHYARD_ENCRYPTION_KEY") else {
            throw SettingsError(key: "SWITCHYARD_ENCRYPTION_KEY", message: "is required: base64 of 32 random bytes (openssl rand -base64 32)")
        }
        encryptionKey = key
        adminToken = settings.optionalString("SWITCHYARD_ADMIN_TOKEN")
        publishTimeout = try settings.duration("SWITCHYARD_PUBLISH_TIMEOUT", default: .seconds(5))
    }
}
