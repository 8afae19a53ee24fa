/// The kinds of trigger event a store publishes, with the rule triggers each one fires (`shared/SPEC.md` §2).
public enum TriggerType: String, Codable, Sendable, CaseIterable, Hashable {
    case productPurchased = "product.purchased"
    case upsellPurchased = "upsell.purchased"
    case orderCompleted = "order.completed"
    case productRefunded = "product.refunded"
    case productPartiallyRefunded = "product.partially_refunded"
    case prospectCreated = "prospect.created"
    case subscriptionCharged = "subscription.charged"
    case subscriptionChargeFailed = "subscription.charge_failed"
    case subscriptionDelinquent = "subscription.delinquent"
    case subscriptionCanceled = "subscription.canceled"
    case subscriptionRecovered = "subscription.recovered"
    case subscriptionRestarted = "subscription.restarted"

    /// The rule triggers an event of this type fires: an upsell is also a purchase, and a delinquent
    /// subscription also counts as canceled.
    public var firedRuleTriggers: [TriggerType] {
        switch self {
        case .upsellPurchased: [.upsellPurchased, .productPurchased]
        case .subscriptionDelinquent: [.subscriptionDelinquent, .subscriptionCanceled]
        default: [self]
        }
    }

    /// Whether the event must name the product it concerns (every trigger but `order.completed`, which
    /// carries its products as order items).
    public var requiresProduct: Bool { self != .orderCompleted }

    /// Whether the event fires only after a delay, and only if the customer has not bought meanwhile.
    public var isDelayed: Bool { self == .prospectCreated }

    /// Whether the event is a purchase of its products, which makes a waiting prospect for them moot.
    public var recordsPurchase: Bool { isPurchase || self == .orderCompleted }

    /// Whether the event carries a purchase kind.
    public var isPurchase: Bool { self == .productPurchased || self == .upsellPurchased }
}
