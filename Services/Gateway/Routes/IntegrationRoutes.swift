import Connectors
import Foundation
import Hummingbird
import Messages
import ServiceRuntime
import Storage

/// `/v1/integrations` and `/v1/rules`: enough of the management API to connect a webhook receiver and route
/// events to it with global and product rules. Every query is scoped to the caller's marketplace, so another
/// marketplace's ids read as not found.
struct IntegrationRoutes: Sendable {
    let integrations: IntegrationStore
    let rules: RuleStore
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

        router.post("/v1/rules") { request, _ -> Response in
            let marketplaceID = try await authenticator.marketplaceID(for: request)
            let body = try await JSONResponse.decode(CreateRule.self, from: request)
            let new = try await validate(body, marketplaceID: marketplaceID)
            return try JSONResponse.make(.created, RuleView(try await rules.create(marketplaceID: marketplaceID, new)))
        }

        router.get("/v1/rules") { request, _ -> Response in
            let marketplaceID = try await authenticator.marketplaceID(for: request)
            var filter = RuleFilter()
            filter.productID = request.uri.queryParameters.get("product_id")
            if let scope = request.uri.queryParameters.get("scope") {
                guard let value = Rule.Scope(rawValue: scope) else { throw APIError.badRequest("must be global or product", field: "scope") }
                filter.scope = value
            }
            if let trigger = request.uri.queryParameters.get("trigger") {
                guard let value = TriggerType(rawValue: trigger) else { throw APIError.badRequest("is not a known trigger type", field: "trigger") }
                filter.trigger = value
            }
            let list = try await rules.list(marketplaceID: marketplaceID, filter: filter)
            return try JSONResponse.make(.ok, ["rules": list.map(RuleView.init)])
        }

        router.get("/v1/rules/:id") { request, context -> Response in
            let marketplaceID = try await authenticator.marketplaceID(for: request)
            let id = try context.parameters.require("id")
            guard let rule = try await rules.get(marketplaceID: marketplaceID, id: id) else { throw APIError.notFound("rule \(id)") }
            return try JSONResponse.make(.ok, RuleView(rule))
        }

        router.delete("/v1/rules/:id") { request, context -> Response in
            let marketplaceID = try await authenticator.marketplaceID(for: request)
            let id = try context.parameters.require("id")
            guard try await rules.delete(marketplaceID: marketplaceID, id: id) else { throw APIError.notFound("rule \(id)") }
            return Response(status: .noContent)
        }
    }

    /// Checks a rule against its integration: same marketplace, an action of its connector, a fitting destination.
    private func validate(_ body: CreateRule, marketplaceID: String) async throws -> RuleStore.NewRule {
        guard let scope = Rule.Scope(rawValue: body.scope) else { throw APIError.badRequest("must be global or product", field: "scope") }
        let productID = body.productID?.trimmingCharacters(in: .whitespaces)
        switch scope {
        case .product:
            guard let productID, !productID.isEmpty else { throw APIError.badRequest("is required for a product rule", field: "product_id") }
        case .global:
            guard productID == nil || productID == "" else {
                throw APIError.badRequest("must be absent for a global rule, which applies to every product", field: "product_id")
            }
        }
        guard let trigger = TriggerType(rawValue: body.trigger) else {
            let known = TriggerType.allCases.map(\.rawValue).joined(separator: ", ")
            throw APIError.badRequest("is not a known trigger type; expected one of \(known)", field: "trigger")
        }
        guard let integration = try await integrations.get(marketplaceID: marketplaceID, id: body.integrationID) else {
            throw APIError.badRequest("no integration with this id exists in your marketplace", field: "integration_id")
        }
        guard let connector = ConnectorDescriptor.named(integration.connector), let action = connector.action(named: body.action) else {
            throw APIError.badRequest("is not an action of the \(integration.connector) connector", field: "action")
        }
        guard let kind = DestinationKind(rawValue: body.destination.kind), kind == action.destinationKind else {
            throw APIError.badRequest("must be \(action.destinationKind.rawValue) for \(action.name)", field: "destination.kind")
        }
        let name = body.destination.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw APIError.badRequest("must not be empty", field: "destination.name") }
        if kind == .url {
            guard let url = URL(string: name), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw APIError.badRequest("must be an http or https URL", field: "destination.name")
            }
        }
        return RuleStore.NewRule(
            scope: scope, productID: scope == .product ? productID : nil, trigger: trigger, integrationID: integration.id,
            action: action.name, destination: Destination(kind: kind, id: body.destination.id, name: name),
            enabled: body.enabled ?? true)
    }
}

struct CreateIntegration: Decodable {
    var connector: String
    var label: String
    var credentials: [String: String]?
}

struct CreateRule: Decodable {
    struct DestinationBody: Decodable {
        var kind: String
        var id: String?
        var name: String
    }

    var scope: String
    var productID: String?
    var trigger: String
    var integrationID: String
    var action: String
    var destination: DestinationBody
    var enabled: Bool?

    enum CodingKeys: String, CodingKey {
        case scope, trigger, action, destination, enabled
        case productID = "product_id"
        case integrationID = "integration_id"
    }
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

struct RuleView: Encodable {
    var id, scope: String
    var productID: String?
    var trigger, integrationID, action: String
    var destination: Destination
    var enabled: Bool
    var createdAt, updatedAt: Date

    init(_ rule: Rule) {
        id = rule.id
        scope = rule.scope.rawValue
        productID = rule.productID
        trigger = rule.trigger.rawValue
        integrationID = rule.integrationID
        action = rule.action
        destination = rule.destination
        enabled = rule.enabled
        createdAt = rule.createdAt
        updatedAt = rule.updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, scope, trigger, action, destination, enabled
        case productID = "product_id"
        case integrationID = "integration_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
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
