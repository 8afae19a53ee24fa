import ServiceRuntime

/// The log service's configuration, from the environment.
struct LogServiceSettings: Sendable {
    var core: CoreSettings
    var port: Int
    /// Outcomes held at once; they are written in batches, so a large prefetch keeps batches full.
    var prefetch: UInt16

    init(_ settings: Settings = Settings()) throws {
        core = try CoreSettings(settings)
        port = try settings.int("SWITCHYARD_LOGS_PORT", default: 8081)
        prefetch = UInt16(clamping: try settings.int("SWITCHYARD_PREFETCH", default: 1000))
    }
}
