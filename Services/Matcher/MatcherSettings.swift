import ServiceRuntime

/// The matcher's configuration, from the environment.
struct MatcherSettings: Sendable {
    var core: CoreSettings
    var port: Int
    /// Events handled at once; each waits on a database read and its publishes' confirms.
    var prefetch: UInt16
    /// How long after a cart was abandoned its `prospect.created` trigger fires (`shared/SPEC.md` §2).
    var prospectDelay: Duration

    init(_ settings: Settings = Settings()) throws {
        core = try CoreSettings(settings)
        port = try settings.int("SWITCHYARD_MATCHER_PORT", default: 8082, in: 0...65535)
        prefetch = try settings.prefetch("SWITCHYARD_PREFETCH", default: 200)
        prospectDelay = try settings.positiveDuration("SWITCHYARD_PROSPECT_DELAY", default: .seconds(2 * 60 * 60))
    }
}
