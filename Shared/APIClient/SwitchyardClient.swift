import AsyncHTTPClient
import Foundation
import GatewayAPI
import LogServiceAPI
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime

/// Typed clients of Switchyard's two public APIs, generated from their OpenAPI documents
/// (`Shared/GatewayAPI/openapi.json`, `Shared/LogServiceAPI/openapi.json`): what the CLI, the console and the
/// tests call. Every request carries the token as a bearer token; every refusal (`4xx`, `5xx`) is thrown as an
/// `APIRefusal` with the API's error code and message, so a caller reads only the answer it expects:
/// `try await client.gateway.listIntegrations().ok.body.json`.
public struct SwitchyardClient: Sendable {
    /// The gateway: events, connectors, integrations, rules, marketplaces.
    public let gateway: GatewayAPI.Client
    /// The log service: the integration log, the configuration log, replays.
    public let logs: LogServiceAPI.Client

    /// Clients of the gateway at `gatewayURL` and the log service at `logsURL`, sending `token` (a marketplace's
    /// API key) when given, each request answered within `timeout`.
    public init(
        gatewayURL: URL, logsURL: URL, token: String?, httpClient: HTTPClient = .shared,
        timeout: Duration = .seconds(30)
    ) {
        gateway = Self.gateway(at: gatewayURL, token: token, httpClient: httpClient, timeout: timeout)
        logs = Self.logs(at: logsURL, token: token, httpClient: httpClient, timeout: timeout)
    }

    /// A client of the gateway alone (with the admin token for `/admin/v1`).
    public static func gateway(
        at url: URL, token: String?, httpClient: HTTPClient = .shared, timeout: Duration = .seconds(30)
    ) -> GatewayAPI.Client {
        let (transport, middlewares) = parts(token: token, httpClient: httpClient, timeout: timeout)
        return GatewayAPI.Client(
            serverURL: url, configuration: configuration, transport: transport, middlewares: middlewares)
    }

    /// A client of the log service alone.
    public static func logs(
        at url: URL, token: String?, httpClient: HTTPClient = .shared, timeout: Duration = .seconds(30)
    ) -> LogServiceAPI.Client {
        let (transport, middlewares) = parts(token: token, httpClient: httpClient, timeout: timeout)
        return LogServiceAPI.Client(
            serverURL: url, configuration: configuration, transport: transport, middlewares: middlewares)
    }

    /// The API's coding: RFC 3339 times with milliseconds, read with or without fractional seconds.
    static let configuration = Configuration(dateTranscoder: RFC3339DateTranscoder())

    private static func parts(token: String?, httpClient: HTTPClient, timeout: Duration)
        -> (AsyncHTTPClientTransport, [any ClientMiddleware])
    {
        let (seconds, attoseconds) = timeout.components
        let transport = AsyncHTTPClientTransport(
            configuration: .init(
                client: httpClient, timeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)))
        return (transport, [RefusalMiddleware()] + (token.map { [BearerToken($0)] } ?? []))
    }

    /// A value as the API's JSON, indented, keys sorted, times in RFC 3339: what `--json` prints.
    public static func prettyJSON(_ value: some Encodable) throws -> String {
        let encoder = encoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// An encoder of the API's JSON (RFC 3339 times with milliseconds), for a body sent another way than through
    /// the client (an event published over AMQP).
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let transcoder = RFC3339DateTranscoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(try transcoder.encode(date))
        }
        return encoder
    }

    /// A decoder of the API's JSON (RFC 3339 times), for JSON read from elsewhere (an event in a file).
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        let transcoder = RFC3339DateTranscoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try transcoder.decode(try decoder.singleValueContainer().decode(String.self))
        }
        return decoder
    }
}
