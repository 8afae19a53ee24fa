import ServiceRuntime

/// The matcher's configuration, from the environment.
struct MatcherSettings: Sendable {
    /// The common settings; `core.httpPort` is this service's port (`SWITCHYARD_HTTP_PORT`, 8082 by default).
    var core: CoreSettings
    /// Events handled at once; each waits on a database read and its publishes' confirms.
    var prefetch: UInt16
    /// How long after a cart was abandoned its `prospect.created` trigger fires (`shared/SPEC.md` §2).
    var prospectDelay: Duration

    init(_ settings: Settings = Settings()) throws {
        core = try CoreSettings(settings, defaultHTTPPort: 8082)
        prefetch = try settings.prefetch("SWITCHYARD_PREFETCH", default: 200)
        prospectDelay = try settings.positiveDuration("SWITCHYARD_PROSPECT_DELAY", default: .seconds(2 * 60 * 60))
    }
}
