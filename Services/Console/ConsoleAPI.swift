import APIClient
import AsyncHTTPClient
import Foundation
import GatewayAPI
import LogServiceAPI

typealias Gateway = GatewayAPI.Components.Schemas
typealias Logs = LogServiceAPI.Components.Schemas

/// The public APIs as the signed-in merchant: typed clients (`APIClient`) sending the session's API key.
struct ConsoleAPI: Sendable {
    let gatewayURL: URL
    let logsURL: URL
    let httpClient: HTTPClient

    func gateway(_ session: Session) -> GatewayAPI.Client {
        SwitchyardClient.gateway(at: gatewayURL, token: session.apiKey, httpClient: httpClient)
    }

    func logs(_ session: Session) -> LogServiceAPI.Client {
        SwitchyardClient.logs(at: logsURL, token: session.apiKey, httpClient: httpClient)
    }

    /// The connectors' names for their actions, keyed `connector/action` ("Add tag" for `mailchimp/add_tag`).
    func actionNames(_ session: Session) async throws -> [String: String] {
        let connectors = try await gateway(session).listConnectors().ok.body.json.connectors
        return Dictionary(
            connectors.flatMap { connector in connector.actions.map { ("\(connector.name)/\($0.name)", $0.displayName) }
            },
            uniquingKeysWith: { first, _ in first })
    }
}

extension APIRefusal {
    /// The refusal as a sentence for the merchant: the API's message, with the field it names in words
    /// ("Label is already used by another integration").
    var sentence: String {
        var text = message
        if let field, let first = message.first, first.isLowercase {
            let name = field.replacingOccurrences(of: "_", with: " ")
            text = name.prefix(1).uppercased() + name.dropFirst() + " " + message
        }
        if let last = text.last, !".!?".contains(last) { text += "." }
        return text
    }
}
