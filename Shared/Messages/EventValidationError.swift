/// Why a published event (or the text of a management request, see `TextField`) was refused, naming the offending
/// field so a store developer can fix the request. The edge answers it with `400`.
public struct EventValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The dotted path of the offending field (`customer.email`, `order.items[0].product.id`), or nil for the body.
    public var field: String?
    /// What is wrong with the field, in words for the store developer ("must not be empty").
    public var message: String

    /// Creates an error about a field (nil for the body as a whole) with its message.
    public init(field: String?, message: String) {
        self.field = field
        self.message = message
    }

    /// The field's path and the message (`customer.email: must be an email address …`), or the message alone.
    public var description: String { field.map { "\($0): \(message)" } ?? message }
}
