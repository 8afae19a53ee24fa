import Connectors
import Foundation
import HTTPAPI
import Hummingbird
import Messages
import Storage

/// `/v1/rules`: "when TRIGGER happens, do ACTION with INTEGRATION to DESTINATION". Rules are validated against
/// their integration when saved, and scoped to the caller's marketplace.
struct RuleRoutes: Sendable {
    let integrations: IntegrationStore
    let rules: RuleStore
    let catalog: CatalogStore
    /// A webhook URL whose host is an internal address is refused when saved (names are checked when connecting).
    let egress: EgressPolicy

    /// The routes, relative to `/v1/rules`; mounted behind `MarketplaceAuthentication`.
    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.post(use: create)
        routes.get(use: list)
        routes.get(":id", use: get)
        routes.patch(":id", use: patch)
        routes.delete(":id", use: delete)
        return routes
    }

    @Sendable func create(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<RuleView> {
        let marketplaceID = try context.marketplaceID
        let body = try await request.decode(as: CreateRule.self, context: context)
        let new = try await validate(body, marketplaceID: marketplaceID)
        let created = try await Self.integrationStillThere { try await rules.create(marketplaceID: marketplaceID, new) }
        return EditedResponse(status: .created, response: RuleView(created))
    }

    @Sendable func list(_ request: Request, context: APIRequestContext) async throws -> [String: [RuleView]] {
        let marketplaceID = try context.marketplaceID
        var filter = RuleFilter()
        filter.productID = request.uri.queryParameters.get("product_id")
        if let scope = request.uri.queryParameters.get("scope") {
            guard let value = Rule.Scope(rawValue: scope) else {
                throw APIError.badRequest("must be global or product", field: "scope")
            }
            filter.scope = value
        }
        if let trigger = request.uri.queryParameters.get("trigger") {
            guard let value = TriggerType(rawValue: trigger) else {
                throw APIError.badRequest("is not a known trigger type", field: "trigger")
            }
            filter.trigger = value
        }
        let list = try await rules.list(marketplaceID: marketplaceID, filter: filter)
        return ["rules": list.map(RuleView.init)]
    }

    @Sendable func get(_ request: Request, context: APIRequestContext) async throws -> RuleView {
        let marketplaceID = try context.marketplaceID
        let id = try context.parameters.require("id")
        guard let rule = try await rules.get(marketplaceID: marketplaceID, id: id) else {
            throw APIError.notFound("rule \(id)")
        }
        return RuleView(rule)
    }

    @Sendable func patch(_ request: Request, context: APIRequestContext) async throws -> RuleView {
        let marketplaceID = try context.marketplaceID
        let id = try context.parameters.require("id")
        let patch = try await request.decode(as: PatchRule.self, context: context)
        guard let rule = try await rules.get(marketplaceID: marketplaceID, id: id) else {
            throw APIError.notFound("rule \(id)")
        }
        let changed = try await validate(patch.applied(to: rule), marketplaceID: marketplaceID)
        let updated = try await Self.integrationStillThere {
            try await rules.update(marketplaceID: marketplaceID, id: id, changed)
        }
        guard let updated else {
            throw APIError.notFound("rule \(id)")
        }
        return RuleView(updated)
    }

    @Sendable func delete(_ request: Request, context: APIRequestContext) async throws -> HTTPResponse.Status {
        let marketplaceID = try context.marketplaceID
        let id = try context.parameters.require("id")
        guard try await rules.delete(marketplaceID: marketplaceID, id: id) else {
            throw APIError.notFound("rule \(id)")
        }
        return .noContent
    }

    /// The integration checked by `validate` was deleted before the rule was saved: answered like a missing one.
    static func integrationStillThere<T>(_ save: () async throws -> T) async throws -> T {
        do {
            return try await save()
        } catch let error as StorageError where error.code == .notFound {
            throw APIError.badRequest("no integration with this id exists in your marketplace", field: "integration_id")
        }
    }

    /// Checks a rule against its integration: same marketplace, an action of its connector, a fitting destination.
    private func validate(_ body: CreateRule, marketplaceID: String) async throws -> RuleStore.NewRule {
        guard let scope = Rule.Scope(rawValue: body.scope) else {
            throw APIError.badRequest("must be global or product", field: "scope")
        }
        let productID = body.productID?.trimmingCharacters(in: .whitespaces)
        switch scope {
        case .product:
            guard let productID, !productID.isEmpty else {
                throw APIError.badRequest("is required for a product rule", field: "product_id")
            }
        case .global:
            guard productID == nil || productID == "" else {
                throw APIError.badRequest(
                    "must be absent for a global rule, which applies to every product", field: "product_id")
            }
        }
        guard let trigger = TriggerType(rawValue: body.trigger) else {
            let known = TriggerType.allCases.map(\.rawValue).joined(separator: ", ")
            throw APIError.badRequest("is not a known trigger type; expected one of \(known)", field: "trigger")
        }
        guard let integration = try await integrations.get(marketplaceID: marketplaceID, id: body.integrationID) else {
            throw APIError.badRequest("no integration with this id exists in your marketplace", field: "integration_id")
        }
        guard let connector = ConnectorDescriptor.named(integration.connector),
            let action = connector.action(named: body.action)
        else {
            throw APIError.badRequest("is not an action of the \(integration.connector) connector", field: "action")
        }
        guard let kind = DestinationKind(rawValue: body.destination.kind), kind == action.destinationKind else {
            throw APIError.badRequest(
                "must be \(action.destinationKind.rawValue) for \(action.name)", field: "destination.kind")
        }
        let name = body.destination.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw APIError.badRequest("must not be empty", field: "destination.name") }
        if kind == .url {
            guard let url = URL(string: name), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                url.host != nil
            else {
                throw APIError.badRequest("must be an http or https URL", field: "destination.name")
            }
            if let host = url.host, let address = IPAddress(host), let refusal = egress.refusal(for: address) {
                throw APIError.badRequest(
                    "must not point at \(address): it is \(refusal), which webhooks may not reach "
                        + "(an operator can allow it with SWITCHYARD_WEBHOOK_ALLOW_NETWORKS)",
                    field: "destination.name")
            }
        }
        let parentID = body.destination.parentID?.trimmingCharacters(in: .whitespaces).nonEmpty
        guard action.parentKind != nil || parentID == nil else {
            throw APIError.badRequest(
                "must be absent: a \(kind.rawValue) of \(action.name) belongs to nothing",
                field: "destination.parent_id")
        }
        var destination = Destination(
            kind: kind, id: body.destination.id, name: name, parentID: parentID, fromCatalog: false)
        // A URL is never in a catalog; anything else may have been typed by hand, which is allowed but marked.
        if kind != .url {
            let entries = try await catalog.entries(
                integrationID: integration.id, kind: kind, id: destination.id, name: name,
                parentID: destination.parentID)
            if let entry = entries.first {
                // The same name twice (a tag in two audiences): acting on either could be wrong, so the merchant
                // says which, by parent when that tells them apart, else by id.
                if entry.id != destination.id, entries.count > 1 {
                    let parents = Set(entries.compactMap(\.parentID))
                    let (field, values) =
                        parents.count > 1
                        ? ("destination.parent_id", parents.sorted()) : ("destination.id", entries.map(\.id))
                    throw APIError.badRequest(
                        "is required: \(entries.count) \(kind.rawValue)s are named \"\(name)\" (\(values.joined(separator: ", ")))",
                        field: field)
                }
                destination.id = entry.id
                destination.parentID = destination.parentID ?? entry.parentID
                destination.fromCatalog = true
            }
        }
        if let parentKind = action.parentKind, destination.parentID == nil {
            throw APIError.badRequest(
                "is required for \(action.name): the id of the \(parentKind.rawValue) this \(kind.rawValue) belongs to "
                    + "(a \(kind.rawValue) picked from the integration's catalog brings it)",
                field: "destination.parent_id")
        }
        return RuleStore.NewRule(
            scope: scope, productID: scope == .product ? productID : nil, trigger: trigger,
            integrationID: integration.id,
            action: action.name, destination: destination, enabled: body.enabled ?? true)
    }
}

struct CreateRule: Decodable {
    struct DestinationBody: Decodable {
        var kind: String
        var id: String?
        var name: String
        var parentID: String?

        enum CodingKeys: String, CodingKey {
            case kind, id, name
            case parentID = "parent_id"
        }
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

struct RuleView: ResponseEncodable {
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
