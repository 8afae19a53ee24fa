import Foundation
import OpenAPIRuntime

/// The API refused a request or could not perform it: the status and the error body every Switchyard refusal
/// carries (`{"error":{"code","message","field"?,"rule_ids"?}}`, `shared/API.md`).
public struct APIRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status (`404`, `409`, `503`, …).
    public var status: Int
    /// The API's error code (`not_found`, `label_taken`, …); `http_<status>` when the body had none.
    public var code: String
    /// What went wrong, in words.
    public var message: String
    /// The field or parameter the refusal is about, as the API spells it.
    public var field: String?
    /// `integration_in_use`: the rules that use the integration.
    public var ruleIDs: [String]
    /// The `Retry-After` header of a `429` or `503`, as sent.
    public var retryAfter: String?

    /// A refusal with every part given.
    public init(
        status: Int, code: String, message: String, field: String? = nil, ruleIDs: [String] = [],
        retryAfter: String? = nil
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.ruleIDs = ruleIDs
        self.retryAfter = retryAfter
    }

    /// "409 label_taken: … (field label)".
    public var description: String {
        "\(status) \(code): \(message)" + (field.map { " (field \($0))" } ?? "")
    }

    /// The refusal a failed call carries: the generated client wraps what a middleware throws in a `ClientError`.
    public init?(_ error: any Error) {
        switch error {
        case let refusal as APIRefusal: self = refusal
        case let error as ClientError:
            guard let refusal = error.underlyingError as? APIRefusal else { return nil }
            self = refusal
        default: return nil
        }
    }
}
