import Foundation

/// A trigger event accepted by the gateway, on its way to the matcher.
public struct TriggerMessage: Contract, Equatable {
    public static let contract = "switchyard.trigger.v1"

    public var marketplaceID: String
    public var receivedAt: Date
    public var event: TriggerEvent
    /// True when the message comes back from the delay queue: its trigger is due now (`prospect.created` fires
    /// hours after it happened). Absent, and so false, on every message the gateway publishes.
    public var delayed: Bool?
    /// On a delayed message: the rules whose log entries show `pending` while it waits, so that a rule removed or
    /// changed meanwhile still gets its entry closed.
    public var waitingRuleIDs: [String]?

    public init(
        marketplaceID: String, receivedAt: Date, event: TriggerEvent, delayed: Bool? = nil,
        waitingRuleIDs: [String]? = nil
    ) {
        self.marketplaceID = marketplaceID
        self.receivedAt = receivedAt
        self.event = event
        self.delayed = delayed
        self.waitingRuleIDs = waitingRuleIDs
    }

    /// Whether this message is a delayed trigger that is due now.
    public var isDue: Bool { delayed ?? false }

    /// The broker message id: unique per marketplace and event, so duplicates are recognisable.
    public var messageID: String { "\(marketplaceID)/\(event.id)" }

    enum CodingKeys: String, CodingKey {
        case event, delayed
        case marketplaceID = "marketplace_id"
        case receivedAt = "received_at"
        case waitingRuleIDs = "waiting_rule_ids"
    }
}
