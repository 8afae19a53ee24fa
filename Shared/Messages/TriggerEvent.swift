import Foundation

/// A trigger event as the store publishes it to `POST /v1/events` (`shared/API.md`).
public struct TriggerEvent: Codable, Sendable, Equatable {
    public var id: String
    public var type: TriggerType
    public var occurredAt: Date?
    public var test: Bool?
    public var customer: Customer
    public var product: Product?
    public var purchaseKind: PurchaseKind?
    public var order: Order?
    public var subscription: Subscription?
    public var refund: Money?

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
        public var firstName: String?
        public var lastName: String?
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
        public var id: String
        public var name: String?
        public var price: String?
        public var currency: String?

        public init(id: String, name: String? = nil, price: String? = nil, currency: String? = nil) {
            self.id = id
            self.name = name
            self.price = price
            self.currency = currency
        }
    }

    /// How a product was bought.
    public enum PurchaseKind: String, Codable, Sendable, CaseIterable {
        case primary
        case upsell
        case orderBump = "order_bump"
        case paymentOption = "payment_option"
    }

    /// An order with its line items (`order.completed` carries every item).
    public struct Order: Codable, Sendable, Equatable {
        public var id: String
        public var total: String?
        public var currency: String?
        public var coupon: String?
        public var items: [Item]?

        public init(id: String, total: String? = nil, currency: String? = nil, coupon: String? = nil, items: [Item]? = nil) {
            self.id = id
            self.total = total
            self.currency = currency
            self.coupon = coupon
            self.items = items
        }

        /// One line of an order.
        public struct Item: Codable, Sendable, Equatable {
            public var product: Product
            public var purchaseKind: PurchaseKind?

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
        public var id: String
        public var status: String?
        public var failedCharges: Int?

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
        public var amount: String
        public var currency: String

        public init(amount: String, currency: String) {
            self.amount = amount
            self.currency = currency
        }
    }
}
