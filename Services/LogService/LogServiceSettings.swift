import ServiceRuntime

/// The log service's configuration, from the environment.
struct LogServiceSettings: Sendable {
    /// The common settings; `core.httpPort` is this service's port (`SWITCHYARD_HTTP_PORT`, 8081 by default).
    var core: CoreSettings
    /// Outcomes held at once; they are written in batches, so a large prefetch keeps batches full.
    var prefetch: UInt16
    /// Log entries kept per marketplace; older ones are pruned in the background.
    var retention: Int
    /// How often the pruner looks at the marketplaces written to since its last pass.
    var retentionInterval: Duration

    init(_ settings: Settings = Settings()) throws {
        core = try CoreSettings(settings, defaultHTTPPort: 8081)
        prefetch = try settings.prefetch("SWITCHYARD_PREFETCH", default: 1000)
        retention = try settings.int("SWITCHYARD_LOG_RETENTION", default: 1000)
        guard retention >= 1 else {
            throw SettingsError(key: "SWITCHYARD_LOG_RETENTION", message: "must be at least 1")
        }
        retentionInterval = try settings.duration("SWITCHYARD_LOG_RETENTION_INTERVAL", default: .seconds(60))
        guard retentionInterval > .zero else {
            throw SettingsError(key: "SWITCHYARD_LOG_RETENTION_INTERVAL", message: "must be longer than zero")
        }
    }
}
