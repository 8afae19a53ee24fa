import ServiceRuntime

/// The webhook worker's configuration, from the environment.
struct WebhookWorkerSettings: Sendable {
    var core: CoreSettings
    var port: Int
    var encryptionKey: String
    var prefetch: UInt16
    var timeout: Duration
    var retry: RetryPolicy

    init(_ settings: Settings = Settings()) throws {
        core = try CoreSettings(settings)
        port = try settings.int("SWITCHYARD_WEBHOOK_WORKER_PORT", default: 8083)
        guard let key = settings.optionalString("SWITCHYARD_ENCRYPTION_KEY") else {
            throw SettingsError(key: "SWITCHYARD_ENCRYPTION_KEY", message: "is required to read signing secrets: base64 of 32 random bytes")
        }
        encryptionKey = key
        prefetch = UInt16(clamping: try settings.int("SWITCHYARD_PREFETCH", default: 64))
        timeout = try settings.duration("SWITCHYARD_WEBHOOK_TIMEOUT", default: .seconds(15))
        retry = RetryPolicy(delays: try settings.durations("SWITCHYARD_RETRY_DELAYS", default: RetryPolicy.defaultDelays))
    }
}
