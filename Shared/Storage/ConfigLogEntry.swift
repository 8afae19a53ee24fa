import Foundation

/// One event in the life of an integration, shown to the merchant: connected, refreshed, refresh failed,
/// needs reconnect.
public struct ConfigLogEntry: Codable, Sendable, Equatable {
    /// What happened to the integration.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// The integration was connected (or reconnected with new credentials).
        case connected
        /// The integration's catalog was refreshed from the app.
        case refreshed
        /// A refresh of the catalog failed.
        case refreshFailed = "refresh_failed"
        /// The app refused the integration's credentials: the merchant must reconnect it.
        case needsReconnect = "needs_reconnect"
    }

    /// The integration the event happened to (`int_…`).
    public var integrationID: String
    /// The integration's label when the event was recorded.
    public var integrationLabel: String
    /// What happened.
    public var kind: Kind
    /// A sentence for the merchant ("Connected mailchimp as \"Melissa's Mailchimp\".").
    public var message: String
    /// When it happened.
    public var at: Date

    /// Creates an entry with every field given.
    public init(integrationID: String, integrationLabel: String, kind: Kind, message: String, at: Date) {
        self.integrationID = integrationID
        self.integrationLabel = integrationLabel
        self.kind = kind
        self.message = message
        self.at = at
    }

    enum CodingKeys: String, CodingKey {
        case kind, message, at
        case integrationID = "integration_id"
        case integrationLabel = "integration_label"
    }
}
