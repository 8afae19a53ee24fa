import Foundation
import Hummingbird

/// An error answered to an API client as `{"error":{"code":…,"message":…,"field":…}}` with its HTTP status.
public struct APIError: HTTPResponseError, Sendable {
    /// The HTTP status the error is answered with.
    public var status: HTTPResponse.Status
    /// A stable, machine-readable code (`invalid_request`, `not_found`) that clients decide by.
    public var code: String
    /// What went wrong, in words for the API client; never a secret or internal detail.
    public var message: String
    /// The offending field as the API spells it (`destination.name`), when one is to blame.
    public var field: String?
    /// The rules an error is about (an integration that rules still use), for clients to act on without parsing
    /// the message.
    public var ruleIDs: [String]?
    /// Header fields the response carries besides the JSON body (`Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPFields

    /// Creates an error with its status, code and message, and optionally its field, rules and headers.
    public init(
        _ status: HTTPResponse.Status, code: String, message: String, field: String? = nil, ruleIDs: [String]? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.ruleIDs = ruleIDs
        self.headers = headers
    }

    /// A `400 invalid_request` with the message and, when known, the offending field.
    public static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, code: "invalid_request", message: message, field: field)
    }

    /// A `404 not_found` saying that `what` ("the integration int_…") does not exist.
    public static func notFound(_ what: String) -> APIError {
        APIError(.notFound, code: "not_found", message: "\(what) does not exist")
    }

    /// The `401 unauthorized` answered for a missing, malformed or unknown API key, with `WWW-Authenticate: Bearer`.
    public static let unauthorized = APIError(
        .unauthorized, code: "unauthorized", message: "a valid API key is required: Authorization: Bearer <key>",
        headers: [.wwwAuthenticate: "Bearer"])

    /// The error as an HTTP response: its status and headers, and the `{"error":{…}}` JSON body.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        // Always the API's coding, whatever the context's: workers' routers answer errors in the same shape.
        var response = try APIResponseEncoder().encode(
            ErrorBody(error: .init(code: code, message: message, field: field, ruleIDs: ruleIDs)), from: request,
            context: context)
        response.status = status
        for field in headers { response.headers.append(field) }
        return response
    }
}

extension APIError {
    static func tooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "body_too_large", message: "the body is larger than \(limit / 1024) KiB")
    }
}

/// The JSON shape of every API error.
struct ErrorBody: Encodable {
    struct Detail: Encodable {
        var code: String
        var message: String
        var field: String?
        var ruleIDs: [String]?

        enum CodingKeys: String, CodingKey {
            case code, message, field
            case ruleIDs = "rule_ids"
        }
    }

    var error: Detail
}
