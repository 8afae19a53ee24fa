import ServiceRuntime

/// Where the iContact API is and how patiently to talk to it, from the environment. The worker runtime reads the
/// rest (database, broker, port) itself.
struct IContactSettings: Sendable {
    /// The API root including `/icp`: production by default; the sandbox
    /// (`https://app.sandbox.icontact.com/icp`) or a local fake for tests and demos.
    var apiURL: String
    /// How long one request may take before it counts as a timeout (transient: retried).
    var timeout: Duration
    /// `limit` of each page when reading every list; iContact answers 20 per page unless asked for more.
    var pageSize: Int
    /// How long the list names read to resolve a list typed by hand stay valid before they are read again.
    var listCacheTTL: Duration

    init(_ settings: Settings = Settings()) throws(SettingsError) {
        let url = settings.string("SWITCHYARD_ICONTACT_API_URL", default: "https://app.icontact.com/icp")
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw SettingsError(
                key: "SWITCHYARD_ICONTACT_API_URL", message: "must be an http or https URL, not \"\(url)\"")
        }
        apiURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        timeout = try settings.positiveDuration("SWITCHYARD_ICONTACT_TIMEOUT", default: .seconds(10))
        pageSize = try settings.int("SWITCHYARD_ICONTACT_PAGE_SIZE", default: 500)
        guard pageSize > 0 else {
            throw SettingsError(key: "SWITCHYARD_ICONTACT_PAGE_SIZE", message: "must be at least 1, not \(pageSize)")
        }
        listCacheTTL = try settings.duration("SWITCHYARD_ICONTACT_LIST_CACHE_TTL", default: .seconds(60))
    }
}
