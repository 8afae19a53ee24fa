import ServiceRuntime

/// The Mailchimp worker's configuration, from the environment. Production talks to Mailchimp's hosts by default;
/// every base URL is configurable so tests and demos can point the worker at the fake.
struct MailchimpSettings: Sendable {
    /// The Marketing API's base URL with `{dc}` where the account's data center goes; `/3.0/…` follows it.
    var apiURL: String
    /// The login host serving `/oauth2/authorize`, `/oauth2/token` and `/oauth2/metadata`.
    var loginURL: String
    /// Switchyard's registered OAuth app; without both, merchants can connect with an API key only.
    var clientID: String?
    var clientSecret: String?
    /// Requests in flight at once per Mailchimp account in this process. Mailchimp refuses an account's 11th
    /// simultaneous connection with 429, so the default is its limit of 10; when several worker processes run,
    /// divide it among them (e.g. 5 each for two). A 429 that still happens is retried like any transient failure.
    var maxInFlight: Int
    /// How long one request may take. Below the gateway's 15 s request timeout, so a verification or refresh page
    /// that hangs fails in time to be reported.
    var timeout: Duration
    /// Entries asked for per page when reading collections (Mailchimp allows at most 1000).
    var pageSize: Int

    init(_ settings: Settings = Settings()) throws(SettingsError) {
        apiURL = try Self.baseURL(settings, "SWITCHYARD_MAILCHIMP_API_URL", default: "https://{dc}.api.mailchimp.com")
        guard apiURL.contains("{dc}") else {
            throw SettingsError(
                key: "SWITCHYARD_MAILCHIMP_API_URL", message: "must contain {dc}, where the account's data center goes")
        }
        loginURL = try Self.baseURL(settings, "SWITCHYARD_MAILCHIMP_LOGIN_URL", default: "https://login.mailchimp.com")
        clientID = settings.optionalString("SWITCHYARD_MAILCHIMP_CLIENT_ID")
        clientSecret = settings.optionalString("SWITCHYARD_MAILCHIMP_CLIENT_SECRET")
        maxInFlight = try settings.int("SWITCHYARD_MAILCHIMP_MAX_IN_FLIGHT", default: 10)
        guard (1...10).contains(maxInFlight) else {
            throw SettingsError(
                key: "SWITCHYARD_MAILCHIMP_MAX_IN_FLIGHT",
                message: "must be between 1 and 10: Mailchimp refuses more than 10 simultaneous requests per account")
        }
        timeout = try settings.duration("SWITCHYARD_MAILCHIMP_TIMEOUT", default: .seconds(10))
        guard timeout > .zero else {
            throw SettingsError(key: "SWITCHYARD_MAILCHIMP_TIMEOUT", message: "must be longer than zero")
        }
        pageSize = try settings.int("SWITCHYARD_MAILCHIMP_PAGE_SIZE", default: 1000)
        guard (1...1000).contains(pageSize) else {
            throw SettingsError(
                key: "SWITCHYARD_MAILCHIMP_PAGE_SIZE", message: "must be between 1 and 1000 (Mailchimp's largest page)")
        }
    }

    /// Switchyard's OAuth app, or nil when OAuth is not set up.
    var oauthClient: (id: String, secret: String)? {
        guard let clientID, let clientSecret else { return nil }
        return (clientID, clientSecret)
    }

    /// The API base for a data center (`https://us6.api.mailchimp.com`).
    func apiBase(dc: String) -> String { apiURL.replacingOccurrences(of: "{dc}", with: dc) }

    private static func baseURL(_ settings: Settings, _ key: String, default defaultValue: String) throws(SettingsError)
        -> String
    {
        var url = settings.string(key, default: defaultValue)
        while url.hasSuffix("/") { url.removeLast() }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw SettingsError(key: key, message: "must be an http or https URL, not \"\(url)\"")
        }
        return url
    }
}
