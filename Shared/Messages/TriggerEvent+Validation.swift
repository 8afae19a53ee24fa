import Foundation

extension TriggerEvent {
    /// Longest accepted store-assigned id; ids are keys in the database and the broker.
    public static let maximumIDLength = 200

    /// Decodes and validates an event body, turning every problem into an error that names its field.
    public static func validated(from body: some Sequence<UInt8>) throws(EventValidationError) -> TriggerEvent {
        let data = Data(body)
        let event: TriggerEvent
        do {
            event = try MessageCoding.decoder.decode(TriggerEvent.self, from: data)
        } catch let error as DecodingError {
            throw EventValidationError(decodingError: error)
        } catch {
            throw EventValidationError(field: nil, message: "the body is not valid JSON")
        }
        try event.validate()
        return event
    }

    /// Checks what JSON decoding cannot: required fields per trigger, formats and lengths.
    public func validate() throws(EventValidationError) {
        try Self.checkID(id, field: "id")
        let email = customer.email.trimmingCharacters(in: .whitespaces)
        guard Self.looksLikeEmail(email) else {
            throw EventValidationError(field: "customer.email", message: "must be an email address such as jane@example.com")
        }
        if type.requiresProduct {
            guard let product else {
                throw EventValidationError(field: "product", message: "is required for \(type.rawValue) events")
            }
            try product.validate(field: "product")
        } else if let product {
            try product.validate(field: "product")
        }
        if type == .orderCompleted {
            guard let order else {
                throw EventValidationError(field: "order", message: "is required for order.completed events")
            }
            guard let items = order.items, !items.isEmpty else {
                throw EventValidationError(field: "order.items", message: "must list at least one item")
            }
            for (index, item) in items.enumerated() {
                try item.product.validate(field: "order.items[\(index)].product")
            }
        }
        if let order {
            try Self.checkID(order.id, field: "order.id")
            try Self.checkAmount(order.total, field: "order.total")
            try Self.checkCurrency(order.currency, field: "order.currency")
        }
        if let subscription { try Self.checkID(subscription.id, field: "subscription.id") }
        if let refund {
            try Self.checkAmount(refund.amount, field: "refund.amount")
            try Self.checkCurrency(refund.currency, field: "refund.currency")
        }
        if purchaseKind != nil && !type.isPurchase {
            throw EventValidationError(field: "purchase_kind", message: "applies only to product.purchased and upsell.purchased")
        }
    }

    static func checkID(_ value: String, field: String) throws(EventValidationError) {
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw EventValidationError(field: field, message: "must not be empty")
        }
        guard value.utf8.count <= maximumIDLength else {
            throw EventValidationError(field: field, message: "must be at most \(maximumIDLength) bytes long")
        }
    }

    static func checkAmount(_ value: String?, field: String) throws(EventValidationError) {
        guard let value else { return }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        let valid = (1...2).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }
        guard valid else {
            throw EventValidationError(field: field, message: "must be a decimal string such as \"49.00\"")
        }
    }

    static func checkCurrency(_ value: String?, field: String) throws(EventValidationError) {
        guard let value else { return }
        guard value.count == 3, value.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw EventValidationError(field: field, message: "must be an ISO 4217 code such as \"USD\"")
        }
    }

    /// A deliberately loose check: one `@`, something before it, a dot in the domain, no spaces.
    static func looksLikeEmail(_ value: String) -> Bool {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, value.utf8.count <= 254 else { return false }
        let domain = parts[1]
        return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".")
            && !value.contains(where: \.isWhitespace)
    }
}

extension TriggerEvent.Product {
    func validate(field: String) throws(EventValidationError) {
        try TriggerEvent.checkID(id, field: "\(field).id")
        try TriggerEvent.checkAmount(price, field: "\(field).price")
        try TriggerEvent.checkCurrency(currency, field: "\(field).currency")
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension EventValidationError {
    /// Names the field a decoding error is about, in the API's snake_case spelling.
    public init(decodingError: DecodingError) {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String? {
            var text = ""
            for key in codingPath + (last.map { [$0] } ?? []) {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text.isEmpty ? nil : text
        }
        switch decodingError {
        case .keyNotFound(let key, let context):
            self.init(field: path(context.codingPath, key), message: "is required")
        case .valueNotFound(_, let context):
            self.init(field: path(context.codingPath), message: "must not be null")
        case .typeMismatch(let type, let context):
            self.init(field: path(context.codingPath), message: "must be \(Self.jsonName(of: type))")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            switch field {
            case "type":
                let known = TriggerType.allCases.map(\.rawValue).joined(separator: ", ")
                self.init(field: field, message: "is not a known trigger type; expected one of \(known)")
            case let .some(name) where name.hasSuffix("purchase_kind"):
                let known = TriggerEvent.PurchaseKind.allCases.map(\.rawValue).joined(separator: ", ")
                self.init(field: field, message: "must be one of \(known)")
            case "occurred_at":
                self.init(field: field, message: "must be an RFC 3339 time such as 2026-11-21T10:00:00Z")
            case nil:
                self.init(field: nil, message: "the body is not valid JSON")
            default:
                self.init(field: field, message: "is not valid")
            }
        @unknown default:
            self.init(field: nil, message: "the body is not a valid event")
        }
    }

    private static func jsonName(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Double.Type: "a number"
        case is [Any].Type: "an array"
        default: "an object"
        }
    }
}
