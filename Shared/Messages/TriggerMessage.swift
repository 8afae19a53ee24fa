import Foundation

/// A trigger event accepted by the gateway, on its way to the matcher.
public struct TriggerMessage: Contract, Equatable {
    public static let contract = "switchyard.trigger.v1"

    public var marketplaceID: String
    public var receivedAt: Date
    public var event: TriggerEvent

    public init(marketplaceID: String, receivedAt: Date, event: TriggerEvent) {
        self.marketplaceID = marketplaceID
        self.receivedAt = receivedAt
        self.event = event
    }

    /// The broker message id: unique per marketplace and event, so duplicates are recognisable.
    public var messageID: String { "\(marketplaceID)/\(event.id)" }

    enum CodingKeys: String, CodingKey {
        case event
        case marketplaceID = "marketplace_id"
        case receivedAt = "received_at"
    }
}
