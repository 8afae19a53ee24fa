import Connectors
import Foundation
import Messages

/// The webhook connector: signs the event per Standard Webhooks with the integration's secret and POSTs it to
/// the rule's URL. Its integrations are created by the gateway (the secret is generated or checked there), so it
/// answers no verification, OAuth or refresh requests.
struct WebhookConnector: Connector {
    let delivery: WebhookDelivery

    var descriptor: ConnectorDescriptor { .webhook }

    func perform(_ command: ActionCommand, credentials: IntegrationCredentials) async -> ActionResult {
        guard let secret = credentials.values["secret"], let signer = WebhookSigner(secret: secret) else {
            return ActionResult(
                verdict: .permanent,
                reason: "The integration \"\(credentials.label)\" has no usable signing secret; reconnect it.",
                request: "not sent", response: "not sent", duration: .zero)
        }
        let body: [UInt8]
        do {
            body = try MessageCoding.encode(
                WebhookDelivery.Payload(type: command.event.type.rawValue, timestamp: Date(), data: command.event))
        } catch {
            return ActionResult(
                verdict: .permanent, reason: "The event could not be encoded for the webhook: \(error).",
                request: "not sent", response: "not sent", duration: .zero)
        }
        return await delivery.deliver(
            to: command.rule.destination.name, id: command.commandID, body: body, signer: signer)
    }

    func verify(_ credentials: [String: String]) async throws -> ConnectedAccount {
        throw Self.notHere
    }

    func authorizeURL(state: String, redirectURI: String) async throws -> String {
        throw Self.notHere
    }

    func exchange(code: String, redirectURI: String) async throws -> ConnectedAccount {
        throw Self.notHere
    }

    func catalog(credentials: IntegrationCredentials) async throws -> [CatalogItem] {
        []
    }

    func shutdown() async {
        await delivery.resolver.shutdown()
    }

    static let notHere = ConnectorError(
        .invalidInput, "Webhook integrations are created with their signing secret; there is nothing to verify.")
}
