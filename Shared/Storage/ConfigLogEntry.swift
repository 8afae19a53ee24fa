import Foundation

/// One event in the life of an integration, shown to the merchant: connected, refreshed, refresh failed,
/// needs reconnect.
public struct ConfigLogEntry: Codable, Sendable, Equatable {
    /// What happened to the integration.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case connected
        case refreshed
        case refreshFailed = "refresh_failed"
        case needsReconnect = "needs_reconnect"
    }

    public var integrationID: String
    public var integrationLabel: String
    public var kind: Kind
    public var message: String
    public var at: Date

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
