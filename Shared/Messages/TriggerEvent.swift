import Foundation

/// A trigger event as the store publishes it to `POST /v1/events` (`shared/API.md`).
public struct TriggerEvent: Codable, Sendable, Equatable {
    /// The store-assigned id (`evt_…`): the idempotency key, processed once per marketplace.
    public var id: String
    /// What happened, which decides the rules it fires.
    public var type: TriggerType
    /// When it happened in the store; absent means the time it was received.
    public var occurredAt: Date?
    /// True for a sandbox/test order; absent means false (see `isTest`).
    public var test: Bool?
    /// The customer the event is about.
    public var customer: Customer
    /// The product concerned; required by every trigger but `order.completed`.
    public var product: Product?
    /// How the product was bought, for `product.purchased` and `upsell.purchased`.
    public var purchaseKind: PurchaseKind?
    /// The order, with its line items; required by `order.completed`.
    public var order: Order?
    /// The subscription a subscription trigger is about.
    public var subscription: Subscription?
    /// The amount refunded, for refund triggers.
    public var refund: Money?

    /// Creates an event with every field given; the optional ones default to absent.
    public init(
        id: String, type: TriggerType, occurredAt: Date? = nil, test: Bool? = nil, customer: Customer,
        product: Product? = nil, purchaseKind: PurchaseKind? = nil, order: Order? = nil,
        subscription: Subscription? = nil, refund: Money? = nil
    ) {
        self.id = id
        self.type = type
        self.occurredAt = occurredAt
        self.test = test
        self.customer = customer
        self.product = product
        self.purchaseKind = purchaseKind
        self.order = order
        self.subscription = subscription
        self.refund = refund
    }

    /// Whether this is a sandbox/test order; absent means false.
    public var isTest: Bool { test ?? false }

    /// The product ids this event concerns: its product, or every item of its order.
    public var productIDs: [String] {
        var ids: [String] = []
        if let product { ids.append(product.id) }
        for item in order?.items ?? [] where !ids.contains(item.product.id) { ids.append(item.product.id) }
        return ids
    }

    enum CodingKeys: String, CodingKey {
        case id, type, test, customer, product, order, subscription, refund
        case occurredAt = "occurred_at"
        case purchaseKind = "purchase_kind"
    }

    /// The customer the event is about; only the email is required.
    public struct Customer: Codable, Sendable, Equatable {
        /// The address as the store sent it, trimmed (`EmailAddress.trimmed`) and in its original case.
        public var email: String
        /// The customer's first name, if the store sent it.
        public var firstName: String?
        /// The customer's last name, if the store sent it.
        public var lastName: String?
        /// The customer's phone number as the store sent it (`+15551234567`), if any.
        public var phone: String?

        /// A customer; the email is trimmed here as when decoded, so no code path sees the store's padding.
        public init(email: String, firstName: String? = nil, lastName: String? = nil, phone: String? = nil) {
            self.email = EmailAddress.trimmed(email)
            self.firstName = firstName
            self.lastName = lastName
            self.phone = phone
        }

        /// Decodes a customer with the email trimmed. The gateway forwards the store's own bytes, so trimming on
        /// decode is what makes every service (matcher, log service, workers) see the same trimmed address.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                email: try container.decode(String.self, forKey: .email),
                firstName: try container.decodeIfPresent(String.self, forKey: .firstName),
                lastName: try container.decodeIfPresent(String.self, forKey: .lastName),
                phone: try container.decodeIfPresent(String.self, forKey: .phone))
        }

        /// The address to compare by (trimmed and lowercased): a purchase as `Jane@x.com ` is the same customer
        /// as `jane@x.com`. Display and vendors keep `email`.
        public var normalizedEmail: String { EmailAddress.normalized(email) }

        enum CodingKeys: String, CodingKey {
            case email, phone
            case firstName = "first_name"
            case lastName = "last_name"
        }
    }

    /// A product of the store; price and currency are optional on the wire.
    public struct Product: Codable, Sendable, Equatable {
        /// The store's id of the product (`prod_course`); product rules match on it.
        public var id: String
        /// The product's name as the store shows it.
        public var name: String?
        /// The price as a decimal string (`"49.00"`), in `currency`.
        public var price: String?
        /// The ISO 4217 currency of `price` (`USD`).
        public var currency: String?

        /// Creates a product with every field given.
        public init(id: String, name: String? = nil, price: String? = nil, currency: String? = nil) {
            self.id = id
            self.name = name
            self.price = price
            self.currency = currency
        }
    }

    /// How a product was bought.
    public enum PurchaseKind: String, Codable, Sendable, CaseIterable {
        /// The main product of the checkout.
        case primary
        /// An upsell offered after the main purchase.
        case upsell
        /// An order bump added at checkout.
        case orderBump = "order_bump"
        /// One of the product's payment options, chosen at checkout.
        case paymentOption = "payment_option"
    }

    /// An order with its line items (`order.completed` carries every item).
    public struct Order: Codable, Sendable, Equatable {
        /// The store's id of the order (`ord_77`).
        public var id: String
        /// The order's total as a decimal string (`"98.00"`), in `currency`.
        public var total: String?
        /// The ISO 4217 currency of `total`.
        public var currency: String?
        /// The coupon code applied to the order, if any.
        public var coupon: String?
        /// The order's line items; `order.completed` requires at least one.
        public var items: [Item]?

        /// Creates an order with every field given.
        public init(
            id: String, total: String? = nil, currency: String? = nil, coupon: String? = nil, items: [Item]? = nil
        ) {
            self.id = id
            self.total = total
            self.currency = currency
            self.coupon = coupon
            self.items = items
        }

        /// One line of an order.
        public struct Item: Codable, Sendable, Equatable {
            /// The product of the line.
            public var product: Product
            /// How the line's product was bought, if the store says.
            public var purchaseKind: PurchaseKind?

            /// Creates a line with every field given.
            public init(product: Product, purchaseKind: PurchaseKind? = nil) {
                self.product = product
                self.purchaseKind = purchaseKind
            }

            enum CodingKeys: String, CodingKey {
                case product
                case purchaseKind = "purchase_kind"
            }
        }
    }

    /// The subscription a subscription trigger is about.
    public struct Subscription: Codable, Sendable, Equatable {
        /// The store's id of the subscription (`sub_5`).
        public var id: String
        /// The subscription's status in the store's words (`delinquent`); free text, not checked.
        public var status: String?
        /// How many charges have failed in a row, as the store counts them.
        public var failedCharges: Int?

        /// Creates a subscription with every field given.
        public init(id: String, status: String? = nil, failedCharges: Int? = nil) {
            self.id = id
            self.status = status
            self.failedCharges = failedCharges
        }

        enum CodingKeys: String, CodingKey {
            case id, status
            case failedCharges = "failed_charges"
        }
    }

    /// An amount of money: a decimal string and an ISO 4217 currency.
    public struct Money: Codable, Sendable, Equatable {
        /// The amount as a decimal string (`"10.00"`).
        public var amount: String
        /// The ISO 4217 currency code (`USD`).
        public var currency: String

        /// Creates an amount in a currency.
        public init(amount: String, currency: String) {
            self.amount = amount
            self.currency = currency
        }
    }
}
