import Connectors
import Foundation
import Hummingbird
import Messages
import ServiceRuntime
import Storage

/// `/v1/integrations`: connecting apps. Every query is scoped to the caller's marketplace, so another
/// marketplace's ids read as not found.
struct IntegrationRoutes: Sendable {
    let integrations: IntegrationStore
    let authenticator: APIKeyAuthenticator

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/integrations") { request, _ -> Response in
            let marketplaceID = try await authenticator.marketplaceID(for: request)
            let body = try await JSONResponse.decode(CreateIntegration.self, from: request)
            let label = body.label.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...100).contains(label.count) else { throw APIError.badRequest("must be 1 to 100 characters", field: "label") }
            guard let connector = ConnectorDescriptor.named(body.connector) else {
                let known = ConnectorDescriptor.all.map(\.name).joined(separator: ", ")
                throw APIError.badRequest("is not a known connector; expected one of \(known)", field: "connector")
            }
            guard connector.name == ConnectorDescriptor.webhook.name else {
                throw APIError(.notImplemented, code: "connector_not_available", message: "\(connector.displayName) cannot be connected yet")
            }
            let secret = try WebhookSecret.resolve(body.credentials?["secret"])
            do {
                let integration = try await integrations.create(
                    marketplaceID: marketplaceID, connector: connector.name, label: label, credentials: ["secret": secret],
                    account: nil)
                var view = IntegrationView(integration)
                view.signingSecret = secret
                return try JSONResponse.make(.created, view)
            } catch let error as StorageError where error.code == .conflict {
                throw APIError(.conflict, code: "label_taken", message: error.message, field: "label")
            }
        }

        router.get("/v1/integrations") { request, _ -> Response in
            let marketplaceID = try await authenticator.marketplaceID(for: request)
            let list = try await integrations.list(marketplaceID: marketplaceID)
            return try JSONResponse.make(.ok, ["integrations": list.map(IntegrationView.init)])
        }

        router.get("/v1/integrations/:id") { request, context -> Response in
            let marketplaceID = try await authenticator.marketplaceID(for: request)
            let id = try context.parameters.require("id")
            guard let integration = try await integrations.get(marketplaceID: marketplaceID, id: id) else {
                throw APIError.notFound("integration \(id)")
            }
            return try JSONResponse.make(.ok, IntegrationView(integration))
        }
    }
}

struct CreateIntegration: Decodable {
    var connector: String
    var label: String
    var credentials: [String: String]?
}

/// An integration as the API shows it: never its credentials (the signing secret only once, at creation).
struct IntegrationView: Encodable {
    var id, connector, label, status: String
    var account: String?
    var refreshedAt: Date?
    var createdAt: Date
    var signingSecret: String?

    init(_ integration: Integration) {
        id = integration.id
        connector = integration.connector
        label = integration.label
        status = integration.status
        account = integration.account
        refreshedAt = integration.refreshedAt
        createdAt = integration.createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, connector, label, status, account
        case refreshedAt = "refreshed_at"
        case createdAt = "created_at"
        case signingSecret = "signing_secret"
    }
}

/// Standard Webhooks signing secrets: `whsec_` + base64 of 24–64 random bytes.
enum WebhookSecret {
    static func resolve(_ given: String?) throws -> String {
        guard let given, !given.isEmpty else { return "whsec_" + Data(Identifier.randomBytes(32)).base64EncodedString() }
        guard given.hasPrefix("whsec_"), let bytes = Data(base64Encoded: String(given.dropFirst(6))), (24...64).contains(bytes.count) else {
            throw APIError.badRequest("must be whsec_ followed by base64 of 24 to 64 bytes", field: "credentials.secret")
        }
        return given
    }
}
