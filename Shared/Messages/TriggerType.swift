/// The kinds of trigger event a store publishes, with the rule triggers each one fires (`shared/SPEC.md` §2).
public enum TriggerType: String, Codable, Sendable, CaseIterable, Hashable {
    /// A product was bought as the primary product, an upsell, an order bump or a payment option.
    case productPurchased = "product.purchased"
    /// An upsell was bought; it also fires `product.purchased` rules.
    case upsellPurchased = "upsell.purchased"
    /// An order finished, once per order, with all its line items.
    case orderCompleted = "order.completed"
    /// A product was fully refunded.
    case productRefunded = "product.refunded"
    /// Part of a product's price was refunded; it does not fire `product.refunded` rules.
    case productPartiallyRefunded = "product.partially_refunded"
    /// A prospect (cart abandonment) was created; fires after a delay, unless the customer bought meanwhile.
    case prospectCreated = "prospect.created"
    /// A recurring charge succeeded.
    case subscriptionCharged = "subscription.charged"
    /// A recurring charge failed.
    case subscriptionChargeFailed = "subscription.charge_failed"
    /// The subscription turned delinquent; it also fires `subscription.canceled` rules.
    case subscriptionDelinquent = "subscription.delinquent"
    /// The subscription was canceled.
    case subscriptionCanceled = "subscription.canceled"
    /// A charge succeeded while the subscription was in dunning.
    case subscriptionRecovered = "subscription.recovered"
    /// The merchant restarted a canceled or delinquent subscription.
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
