/// Why a published event (or the text of a management request, see `TextField`) was refused, naming the offending
/// field so a store developer can fix the request. The edge answers it with `400`.
public struct EventValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The dotted path of the offending field (`customer.email`, `order.items[0].product.id`), or nil for the body.
    public var field: String?
    public var message: String

    public init(field: String?, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { field.map { "\($0): \(message)" } ?? message }
}
