import Foundation
import Hummingbird
import Messages

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
        var response = try JSONResponse.make(status, ErrorBody(error: .init(code: code, message: message, field: field, ruleIDs: ruleIDs)))
        for field in headers { response.headers.append(field) }
        return response
    }
}

/// JSON responses in the API's encoding (RFC 3339 times, snake_case fields from each type's coding keys).
public enum JSONResponse {
    /// A response with this status and the value encoded as JSON (`application/json; charset=utf-8`).
    public static func make(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        let bytes = try MessageCoding.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Decodes a JSON request body of at most `limit` bytes, mapping problems to a 400 or a 413.
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 64 * 1024) async throws -> T {
        let buffer = try await collectBody(request, limit: limit)
        try checkText(buffer.readableBytesView)
        do {
            return try MessageCoding.decoder.decode(type, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            let problem = EventValidationError(decodingError: error)
            throw APIError.badRequest(problem.message, field: problem.field)
        } catch {
            throw APIError.badRequest("the body is not valid JSON")
        }
    }

    /// Refuses a management request body that is not valid UTF-8 or holds a control character in any string (a
    /// key or a value, however deep), naming the field as the API spells it (`destination.name`, `credentials.api_key`).
    static func checkText(_ bytes: some Collection<UInt8>) throws {
        if let problem = textProblem(bytes) { throw APIError.badRequest(problem.message, field: problem.field) }
    }

    private static func textProblem(_ bytes: some Collection<UInt8>) -> EventValidationError? {
        do {
            try TextField.checkUTF8(bytes, field: nil)
        } catch {
            return error
        }
        // Only a body with an escape or a raw control byte can hold a control character: skip the walk otherwise.
        guard bytes.contains(where: { $0 == UInt8(ascii: "\\") || $0 < 0x20 }),
            let json = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        else { return nil }
        return firstProblem(in: json, path: "")
    }

    private static func firstProblem(in value: Any, path: String) -> EventValidationError? {
        func check(_ text: String, _ field: String) -> EventValidationError? {
            do {
                try TextField.check(text, field: field)
                return nil
            } catch {
                return error
            }
        }
        switch value {
        case let text as String:
            return check(text, path.isEmpty ? "body" : path)
        case let array as [Any]:
            for (index, element) in array.enumerated() {
                if let problem = firstProblem(in: element, path: "\(path)[\(index)]") { return problem }
            }
            return nil
        case let object as [String: Any]:
            for (key, element) in object {
                let field = path.isEmpty ? key : "\(path).\(key)"
                if let problem = check(key, field) ?? firstProblem(in: element, path: field) { return problem }
            }
            return nil
        default:
            return nil
        }
    }

    /// Reads the whole body, refusing more than `limit` bytes with 413 before reading it when the length is declared.
    public static func collectBody(_ request: Request, limit: Int) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.tooLarge(limit: limit)
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.tooLarge(limit: limit)
        }
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
