import Foundation
import ServiceRuntime

/// The console's configuration, from the environment.
struct ConsoleSettings: Sendable {
    /// The common settings; `core.httpPort` is this service's port (`SWITCHYARD_HTTP_PORT`, 8090 by default).
    var core: CoreSettings
    /// The gateway's public API, which the console calls with the signed-in merchant's key.
    var gatewayURL: URL
    /// The log service's public API.
    var logsURL: URL
    /// The console's own address as a browser reaches it: where an OAuth sign-in returns to, and the origin
    /// that changing requests must come from.
    var publicURL: URL
    /// The key sealing session cookies (AES-GCM, 32 bytes). Without one, a random key is made at start, and every
    /// session ends when the process restarts.
    var sessionKey: Data?
    /// How long a sign-in lasts.
    var sessionLifetime: Duration
    /// The App ID this installation registered with iContact, shown to merchants who connect iContact (they
    /// register it in their account); when unset, the merchant types the App ID in.
    var icontactAppID: String?
    /// Where a merchant registers that App ID in iContact.
    var icontactRegistrationURL: String

    init(_ settings: Settings = Settings()) throws {
        core = try CoreSettings(settings, defaultHTTPPort: 8090)
        gatewayURL = try Self.url(settings, "SWITCHYARD_GATEWAY_URL", default: "http://127.0.0.1:8080")
        logsURL = try Self.url(settings, "SWITCHYARD_LOGS_URL", default: "http://127.0.0.1:8081")
        publicURL = try Self.url(
            settings, "SWITCHYARD_CONSOLE_PUBLIC_URL", default: "http://127.0.0.1:\(core.httpPort)")
        if let text = settings.optionalString("SWITCHYARD_CONSOLE_SESSION_KEY") {
            guard let key = Data(base64Encoded: text), key.count == 32 else {
                throw SettingsError(
                    key: "SWITCHYARD_CONSOLE_SESSION_KEY",
                    message: "must be 32 bytes in base64 (for example: openssl rand -base64 32)")
            }
            sessionKey = key
        }
        sessionLifetime = try settings.positiveDuration(
            "SWITCHYARD_CONSOLE_SESSION_LIFETIME", default: .seconds(8 * 3600))
        icontactAppID = settings.optionalString("SWITCHYARD_ICONTACT_APP_ID")
        icontactRegistrationURL = settings.string(
            "SWITCHYARD_ICONTACT_REGISTRATION_URL", default: "https://app.icontact.com/icp/core/externallogin")
    }

    /// Whether cookies get the `Secure` attribute: when browsers reach the console over HTTPS.
    var secureCookies: Bool { publicURL.scheme == "https" }

    private static func url(_ settings: Settings, _ key: String, default defaultValue: String) throws -> URL {
        let text = settings.string(key, default: defaultValue)
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme),
            url.host != nil
        else {
            throw SettingsError(key: key, message: "must be an http or https URL, not \"\(text)\"")
        }
        return url
    }
}
