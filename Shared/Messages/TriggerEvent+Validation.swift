import Foundation

extension TriggerEvent {
    /// Longest accepted store-assigned id; ids are keys in the database and the broker.
    public static let maximumIDLength = 200

    /// Decodes and validates an event body, turning every problem into an error that names its field.
    ///
    /// The body must be valid UTF-8 (or UTF-16/32 text, which the decoder transcodes and checks itself): the
    /// decoder does not look at the strings of fields it skips, and the gateway forwards these very bytes.
    public static func validated(from body: some Sequence<UInt8>) throws(EventValidationError) -> TriggerEvent {
        let data = Data(body)
        if isUTF8(data) { try TextField.checkUTF8(data, field: nil) }
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

    /// Whether the decoder reads a body as UTF-8: JSON text in UTF-16 or UTF-32 starts with a byte order mark or
    /// has a NUL among its first two bytes (its first character is ASCII).
    static func isUTF8(_ data: Data) -> Bool {
        guard data.count >= 2 else { return true }
        let first = data[data.startIndex]
        let second = data[data.startIndex + 1]
        return first != 0 && second != 0 && !(first == 0xFE && second == 0xFF) && !(first == 0xFF && second == 0xFE)
    }

    /// Checks what JSON decoding cannot: required fields per trigger, formats and lengths, and no control
    /// characters in any string (`TextField`).
    ///
    /// Strict about what matters, liberal about the rest: a field a trigger does not use (`purchase_kind` on a
    /// refund, an order on a subscription event) is kept as information, never a reason to refuse the event;
    /// its value is still checked when present.
    public func validate() throws(EventValidationError) {
        try TextField.check(id, field: "id")
        try Self.checkID(id, field: "id")
        // The email as it flows on: trimmed (decoding trims already; a value set in code may not be).
        let email = EmailAddress.trimmed(customer.email)
        try TextField.check(email, field: "customer.email")
        guard Self.isEmailAddress(email) else {
            throw EventValidationError(
                field: "customer.email", message: "must be an email address such as jane@example.com")
        }
        try TextField.check(customer.firstName, field: "customer.first_name")
        try TextField.check(customer.lastName, field: "customer.last_name")
        try TextField.check(customer.phone, field: "customer.phone")
        if let product {
            try product.validate(field: "product")
        } else if type.requiresProduct {
            throw EventValidationError(field: "product", message: "is required for \(type.rawValue) events")
        }
        if type == .orderCompleted {
            guard let order else {
                throw EventValidationError(field: "order", message: "is required for order.completed events")
            }
            guard let items = order.items, !items.isEmpty else {
                throw EventValidationError(field: "order.items", message: "must list at least one item")
            }
        }
        if let order {
            try TextField.check(order.id, field: "order.id")
            try Self.checkID(order.id, field: "order.id")
            try TextField.check(order.coupon, field: "order.coupon")
            try TextField.check(order.total, field: "order.total")
            try Self.checkAmount(order.total, field: "order.total")
            try TextField.check(order.currency, field: "order.currency")
            try Self.checkCurrency(order.currency, field: "order.currency")
            // Every item, whatever the trigger: their product ids are among the event's `productIDs`.
            for (index, item) in (order.items ?? []).enumerated() {
                try item.product.validate(field: "order.items[\(index)].product")
            }
        }
        if let subscription {
            try TextField.check(subscription.id, field: "subscription.id")
            try Self.checkID(subscription.id, field: "subscription.id")
            try TextField.check(subscription.status, field: "subscription.status")
        }
        if let refund {
            try TextField.check(refund.amount, field: "refund.amount")
            try Self.checkAmount(refund.amount, field: "refund.amount")
            try TextField.check(refund.currency, field: "refund.currency")
            try Self.checkCurrency(refund.currency, field: "refund.currency")
        }
    }

    // The checks run for every event the gateway accepts. Each has a fast path over the UTF-8 bytes for the
    // plain ASCII values stores send; anything else takes the Character-based rule, which stays the definition.

    static func checkID(_ value: String, field: @autoclosure () -> String) throws(EventValidationError) {
        // An ASCII byte other than space and tab is not trimmed, so the id is not blank.
        let notBlank =
            value.utf8.contains { $0 < 0x80 && $0 != 0x20 && $0 != 0x09 }
            || !value.trimmingCharacters(in: .whitespaces).isEmpty
        guard notBlank else {
            throw EventValidationError(field: field(), message: "must not be empty")
        }
        guard value.utf8.count <= maximumIDLength else {
            throw EventValidationError(field: field(), message: "must be at most \(maximumIDLength) bytes long")
        }
    }

    static func checkAmount(_ value: String?, field: @autoclosure () -> String) throws(EventValidationError) {
        guard let value else { return }
        // Digits, optionally one dot with digits on both sides. A non-ASCII byte is never a digit or a dot, so
        // the byte rule is the Character rule.
        var digits = 0
        var dots = 0
        var valid = true
        for byte in value.utf8 {
            if byte == UInt8(ascii: ".") {
                valid = valid && digits > 0 && dots == 0
                dots += 1
                digits = 0
            } else if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                digits += 1
            } else {
                valid = false
            }
        }
        guard valid && digits > 0 else {
            throw EventValidationError(field: field(), message: "must be a decimal string such as \"49.00\"")
        }
    }

    static func checkCurrency(_ value: String?, field: @autoclosure () -> String) throws(EventValidationError) {
        guard let value else { return }
        // Three ASCII capitals are three bytes A–Z (any other byte makes it not ASCII or not a capital).
        guard value.utf8.count == 3, value.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) })
        else {
            throw EventValidationError(field: field(), message: "must be an ISO 4217 code such as \"USD\"")
        }
    }

    /// The email check on the address as sent: spaces and tabs around it are ignored. ASCII addresses are
    /// checked byte by byte (the same rule as `looksLikeEmail`, whose whitespace in ASCII is exactly space, tab,
    /// line feed, vertical tab, form feed and carriage return); others go through `looksLikeEmail`.
    static func isEmailAddress(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            return looksLikeEmail(value.trimmingCharacters(in: .whitespaces))
        }
        let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        guard let start = bytes.firstIndex(where: { !isBlank($0) }), let end = bytes.lastIndex(where: { !isBlank($0) })
        else { return false }
        let address = bytes[start...end]
        guard address.count <= 254, !address.contains(where: { (0x09...0x0D).contains($0) || $0 == 0x20 }),
            let at = address.firstIndex(of: UInt8(ascii: "@")), at > start
        else { return false }
        let domain = address[(at + 1)...]
        let dot = UInt8(ascii: ".")
        return !domain.contains(UInt8(ascii: "@")) && domain.contains(dot) && domain.first != dot
            && domain.last != dot
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
    /// Checks a product at `field` (`product`, `order.items[0].product`); field names are built only on refusal.
    func validate(field: @autoclosure () -> String) throws(EventValidationError) {
        try TextField.check(id, field: "\(field()).id")
        try TriggerEvent.checkID(id, field: "\(field()).id")
        try TextField.check(name, field: "\(field()).name")
        try TextField.check(price, field: "\(field()).price")
        try TriggerEvent.checkAmount(price, field: "\(field()).price")
        try TextField.check(currency, field: "\(field()).currency")
        try TriggerEvent.checkCurrency(currency, field: "\(field()).currency")
    }
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
            case .some(let name) where name.hasSuffix("purchase_kind"):
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
