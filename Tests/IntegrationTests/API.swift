import APIClient
import AsyncHTTPClient
import Foundation
import GatewayAPI
import LogServiceAPI
import NIOCore
import NIOHTTP1

/// The gateway's models, generated from `Shared/GatewayAPI/openapi.json`.
typealias Gateway = GatewayAPI.Components.Schemas
/// The log service's models, generated from `Shared/LogServiceAPI/openapi.json`.
typealias Logs = LogServiceAPI.Components.Schemas

/// Plain HTTP calls to the services, for what the typed client (`TestStack.client`) cannot send: bodies the
/// contract refuses, raw store bytes, headers of our choosing, redirects to read. Answers are read with the
/// contract's models (`decoded(as:)`, `error`).
enum API {
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        /// The body as one of the contract's models.
        func decoded<T: Decodable>(as type: T.Type) throws -> T {
            try SwitchyardClient.decoder().decode(type, from: Data(body))
        }
        /// The documented error body of a refusal (`{"error":{…}}`), when the body is one.
        var error: Gateway.ErrorDetail? { try? decoded(as: Gateway.ErrorBody.self).error }
        var errorField: String? { error?.field }
        var errorCode: String? { error?.code }
        var errorMessage: String { error?.message ?? "" }
    }

    /// A client that hands back a redirect instead of following it, to read where an app sends the browser.
    private static let withoutRedirects = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    static func raw(
        _ method: String, _ url: String, token: String? = nil, body: [UInt8]? = nil, headers: [(String, String)] = [],
        timeout: Duration = .seconds(10), followRedirects: Bool = true
    ) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let client = followRedirects ? HTTPClient.shared : withoutRedirects
        let response = try await client.execute(request, timeout: .init(timeout))
        let collected = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return Response(
            status: Int(response.status.code), headers: response.headers, body: Array(collected.readableBytesView))
    }

    /// `body` as JSON: a model of the contract, or a `JSONValue` the contract would refuse.
    static func json(
        _ method: String, _ url: String, token: String? = nil, body: (some Encodable)? = JSONValue?.none
    ) async throws -> Response {
        let bytes = try body.map { Array(try SwitchyardClient.encoder().encode($0)) }
        return try await raw(method, url, token: token, body: bytes)
    }
}

/// A JSON value written out in a test: for request bodies the typed client cannot express (a wrong type, an
/// unknown enum value, a missing field), and for bodies that are not the contract's (a vendor's, a webhook's).
enum JSONValue: Codable, Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])
    case null

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .number(Double(value)) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements) { $1 })
    }
    init(nilLiteral: ()) { self = .null }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    /// The member `key` of an object; `nil` otherwise.
    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string, when this is one.
    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The object `self` with `other`'s members added or replaced.
    func merging(_ other: JSONValue) -> JSONValue {
        guard case .object(var members) = self, case .object(let changes) = other else { return other }
        members.merge(changes) { $1 }
        return .object(members)
    }

    /// A model of the contract as a JSON value, to change one of its fields into something the contract refuses.
    init(_ value: some Encodable) throws {
        self = try SwitchyardClient.decoder().decode(
            JSONValue.self, from: SwitchyardClient.encoder().encode(value))
    }
}

/// The refusal a call of the typed client ends with (status, code, field, message); throws when the call
/// succeeds, or fails in another way.
func refusal<T>(_ call: () async throws -> T) async throws -> APIRefusal {
    do {
        let answer = try await call()
        throw HarnessError("expected a refusal, got \(answer)")
    } catch {
        guard let refusal = APIRefusal(error) else { throw error }
        return refusal
    }
}
