import Foundation
import Hummingbird
import Messages

/// Writes answers in the API's JSON coding (`MessageCoding`: RFC 3339 times, sorted keys, snake_case fields from
/// each type's coding keys) as `application/json; charset=utf-8`, status 200 unless an `EditedResponse` says
/// otherwise.
public struct APIResponseEncoder: ResponseEncoder {
    /// The encoder.
    public init() {}

    /// The value as a `200` JSON response.
    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws
        -> Response
    {
        let bytes = try MessageCoding.encode(value)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// Reads management request bodies (`request.decode(as:context:)`): at most `limit` bytes (else `413`), valid UTF-8
/// without control characters in any string, decoded with `MessageCoding`; every problem is a `400` naming the
/// field as the API spells it.
public struct APIRequestDecoder: RequestDecoder {
    /// The largest body accepted.
    public var limit: Int

    /// A decoder accepting bodies of up to `limit` bytes (64 KiB unless told).
    public init(limit: Int = 64 * 1024) {
        self.limit = limit
    }

    /// The body decoded as `type`, or the API error saying what is wrong with it.
    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext)
        async throws -> T
    {
        let buffer = try await request.collectBody(refusingOver: limit)
        try Self.checkText(buffer.readableBytesView)
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
}

extension Request {
    /// Reads the whole body, refusing more than `limit` bytes with `413 body_too_large`, before reading it when the
    /// length is declared.
    public func collectBody(refusingOver limit: Int) async throws -> ByteBuffer {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.tooLarge(limit: limit)
        }
        do {
            return try await body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.tooLarge(limit: limit)
        }
    }
}
