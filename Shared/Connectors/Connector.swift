import Messages

/// What one connector's worker implements. Everything around it — consuming `actions.<connector>`, skipping
/// completed commands, retries through the delay queues, outcomes for the log, marking an integration
/// `needs_reconnect`, answering the gateway's requests — is the shared worker runtime's job, so a connector is only
/// the code that talks to its app.
///
/// Implementations never put a credential into a `reason`, `request`, `response` or a log line.
public protocol Connector: Sendable {
    /// The descriptor `GET /v1/connectors` serves; its `name` is the connector's queue and routing key.
    var descriptor: ConnectorDescriptor { get }

    /// Performs one action with the integration's stored credentials. Never throws: every failure is classified
    /// (a `ConnectorError`'s `verdict`, from `ConnectorKit`).
    func perform(_ command: ActionCommand, credentials: IntegrationCredentials) async -> ActionResult

    /// Checks credentials the merchant typed against the app. Returns what to store (normalized: data center,
    /// discovered account ids…) and the account's name. Throws `ConnectorError`.
    func verify(_ credentials: [String: String]) async throws -> ConnectedAccount

    /// The app's OAuth authorize URL for `state`. Throws `ConnectorError` (`invalidInput` when the connector
    /// has no OAuth or it is not configured).
    func authorizeURL(state: String, redirectURI: String) async throws -> String

    /// Exchanges an OAuth code for credentials. Throws `ConnectorError`.
    func exchange(code: String, redirectURI: String) async throws -> ConnectedAccount

    /// Reads the app's current lists, tags, groups… (every page). Throws `ConnectorError`
    /// (`needsReconnect` marks the integration `needs_reconnect`).
    func catalog(credentials: IntegrationCredentials) async throws -> [CatalogItem]

    /// Releases what the connector holds of its own (HTTP clients besides the shared one) once the worker drained.
    func shutdown() async
}

extension Connector {
    /// Most connectors hold nothing of their own.
    public func shutdown() async {}
}

/// An integration's decrypted credentials, handed to the connector for one call.
public struct IntegrationCredentials: Sendable {
    /// The integration the credentials belong to.
    public var integrationID: String
    /// The integration's label, as the merchant named it.
    public var label: String
    /// The account shown for the integration, if the connector set one.
    public var account: String?
    /// The credential fields by name (`ConnectorDescriptor.credentialFields`), decrypted.
    public var values: [String: String]

    /// Credentials for one call.
    public init(integrationID: String, label: String, account: String?, values: [String: String]) {
        self.integrationID = integrationID
        self.label = label
        self.account = account
        self.values = values
    }
}

/// What a successful `verify` or `exchange` learned: the credentials to store and the account's display name.
public struct ConnectedAccount: Sendable, Equatable {
    /// The credential fields to store, sealed, by name.
    public var credentials: [String: String]
    /// The account's display name (an e-mail address, a Mailchimp account name).
    public var account: String

    /// An account a connector verified or connected.
    public init(credentials: [String: String], account: String) {
        self.credentials = credentials
        self.account = account
    }
}

/// One entry of an integration's catalog, as a connector reads it from its app (defined with the messages, so
/// storage and connectors share it).
public typealias CatalogItem = CatalogEntry

/// How one attempt at an action ended, with what the merchant reads in the log.
public struct ActionResult: Sendable {
    /// How an attempt ended, which decides whether it is retried.
    public enum Verdict: Sendable, Equatable {
        /// The app did it.
        case success
        /// The app will never accept it (validation, compliance state, list gone…): not retried.
        case permanent
        /// Worth trying again (5xx, 429, timeout, connection refused); `retryAfter` when the app said when.
        case transient(retryAfter: Duration?)
        /// The app refused the credentials: not retried, and the integration is marked `needs_reconnect`.
        case needsReconnect
    }

    /// How the attempt ended.
    public var verdict: Verdict
    /// What happened, as a sentence a merchant understands ("Added jane@example.com to the audience Newsletter.");
    /// the runtime adds the retry plan. Warnings the app returned with a success belong here too.
    public var reason: String
    /// A short summary of what was sent (method, path, body size) — never a credential.
    public var request: String
    /// A short summary of what the app answered (status and the start of the body).
    public var response: String
    /// How long the attempt took, the app's answer included.
    public var duration: Duration

    /// An attempt's result, as the connector reports it to the runtime.
    public init(verdict: Verdict, reason: String, request: String, response: String, duration: Duration) {
        self.verdict = verdict
        self.reason = reason
        self.request = request
        self.response = response
        self.duration = duration
    }
}
