import APIClient
import ArgumentParser
import Foundation
import GatewayAPI
import LogServiceAPI

/// Where the services are and how to authenticate; flags win over the environment.
struct GlobalOptions: ParsableArguments {
    @Option(help: "Gateway base URL (env SWITCHYARD_GATEWAY_URL or GATEWAY_URL).")
    var gatewayURL: String?

    @Option(help: "Log service base URL (env SWITCHYARD_LOGS_URL or LOGS_URL).")
    var logsURL: String?

    @Option(help: "The marketplace's API key (env SWITCHYARD_API_KEY).")
    var apiKey: String?

    @Option(help: "The operator's admin token, for admin commands (env SWITCHYARD_ADMIN_TOKEN).")
    var adminToken: String?

    @Flag(help: "Print the API's JSON instead of a table.")
    var json = false

    private static var environment: [String: String] { ProcessInfo.processInfo.environment }

    private static func value(_ flag: String?, _ names: [String]) -> String? {
        if let flag, !flag.isEmpty { return flag }
        return names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
    }

    private static func url(_ flag: String?, _ names: [String], _ missing: String) throws -> URL {
        guard let text = value(flag, names) else { throw CLIError.usage(missing) }
        guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw CLIError.usage("\(text) is not an http(s) URL")
        }
        return url
    }

    /// The gateway's URL.
    func gatewayBaseURL() throws -> URL {
        try Self.url(
            gatewayURL, ["SWITCHYARD_GATEWAY_URL", "GATEWAY_URL"],
            "no gateway URL: pass --gateway-url or set SWITCHYARD_GATEWAY_URL")
    }

    /// The gateway; `requireKey` is false for its public routes (the connector list).
    func gateway(requireKey: Bool = true) throws -> GatewayAPI.Client {
        let token = requireKey ? try key() : Self.value(apiKey, ["SWITCHYARD_API_KEY"])
        return SwitchyardClient.gateway(at: try gatewayBaseURL(), token: token)
    }

    /// The log service.
    func logs() throws -> LogServiceAPI.Client {
        let url = try Self.url(
            logsURL, ["SWITCHYARD_LOGS_URL", "LOGS_URL"],
            "no log service URL: pass --logs-url or set SWITCHYARD_LOGS_URL")
        return SwitchyardClient.logs(at: url, token: try key())
    }

    /// The gateway's admin API, with the operator's token.
    func admin() throws -> GatewayAPI.Client {
        let url = try gatewayBaseURL()
        guard let token = Self.value(adminToken, ["SWITCHYARD_ADMIN_TOKEN"]) else {
            throw CLIError.usage("no admin token: pass --admin-token or set SWITCHYARD_ADMIN_TOKEN")
        }
        return SwitchyardClient.gateway(at: url, token: token)
    }

    private func key() throws -> String {
        guard let key = Self.value(apiKey, ["SWITCHYARD_API_KEY"]) else {
            throw CLIError.usage("no API key: pass --api-key or set SWITCHYARD_API_KEY")
        }
        return key
    }

    /// Prints an answer: its JSON with --json, else the text `render` makes of it.
    func output<Value: Encodable>(_ value: Value, render: (Value) -> String) throws {
        print(json ? try SwitchyardClient.prettyJSON(value) : render(value))
    }
}
