import Connectors
import Foundation
import HTTPAPI
import Hummingbird
import Logging
import Messages
import Storage

/// `/v1/integrations`: connected apps — connect (`+Connect`), list, read, rename, reconnect, refresh, catalog
/// search, delete. Every query is scoped to the caller's marketplace, so another marketplace's ids read as not
/// found. Vendor work (verifying credentials, OAuth, reading catalogs) is asked of the connector's worker.
struct IntegrationRoutes: Sendable {
    let integrations: IntegrationStore
    let catalog: CatalogStore
    let oauthStates: OAuthStateStore
    let connectors: ConnectorClient
    /// How long an OAuth connection may take from its start to the callback.
    let oauthStateTTL: Duration
    /// Where the app sends the merchant back after an OAuth sign-in.
    let oauthRedirectURI: String
    let logger: Logger

    /// The routes, relative to `/v1/integrations`; mounted behind `MarketplaceAuthentication`. The OAuth
    /// callback, which takes no API key, is in `callbackRoutes`.
    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.post(use: connect)
        routes.get(use: list)
        routes.get(":id", use: get)
        routes.patch(":id", use: patch)
        routes.delete(":id", use: delete)
        routes.post(":id/refresh", use: refresh)
        routes.get(":id/catalog", use: searchCatalog)
        return routes
    }

    @Sendable func list(_ request: Request, context: APIRequestContext) async throws -> [String: [IntegrationView]] {
        let list = try await integrations.list(marketplaceID: try context.marketplaceID)
        return ["integrations": list.map(IntegrationView.init)]
    }

    @Sendable func get(_ request: Request, context: APIRequestContext) async throws -> IntegrationView {
        IntegrationView(try await find(context))
    }

    @Sendable func patch(_ request: Request, context: APIRequestContext) async throws -> IntegrationView {
        let current = try await find(context)
        let body = try await request.decode(as: PatchIntegration.self, context: context)
        return try await update(current, with: body, marketplaceID: try context.marketplaceID)
    }

    @Sendable func delete(_ request: Request, context: APIRequestContext) async throws -> HTTPResponse.Status {
        let marketplaceID = try context.marketplaceID
        let id = try context.parameters.require("id")
        let cascade: Bool
        switch request.uri.queryParameters.get("cascade") {
        case nil, "", "false": cascade = false
        case "true": cascade = true
        default: throw APIError.badRequest("must be true or false", field: "cascade")
        }
        switch try await integrations.delete(marketplaceID: marketplaceID, id: id, cascade: cascade) {
        case .notFound:
            throw APIError.notFound("integration \(id)")
        case .inUse(let ruleIDs):
            let count = ruleIDs.count == 1 ? "1 rule uses" : "\(ruleIDs.count) rules use"
            throw APIError(
                .conflict, code: "integration_in_use",
                message:
                    "\(count) this integration (\(ruleIDs.joined(separator: ", "))); delete those rules first, "
                    + "or delete with cascade=true to delete them with it",
                ruleIDs: ruleIDs)
        case .deleted(let ruleIDs):
            logger.info(
                "integration deleted", metadata: ["integration_id": "\(id)", "rules_deleted": "\(ruleIDs.count)"])
            return .noContent
        }
    }

    @Sendable func refresh(_ request: Request, context: APIRequestContext) async throws -> Refreshed {
        let marketplaceID = try context.marketplaceID
        let integration = try await find(context)
        let connector = try descriptor(of: integration)
        guard connector.connectsThroughWorker else {
            throw APIError(
                .badRequest, code: "not_refreshable",
                message: "\(connector.displayName) integrations have no lists, tags or groups to refresh")
        }
        let reply = try await ask(
            ConnectorRequest(
                requestID: Identifier.random(prefix: "req"), operation: .refresh, connector: integration.connector,
                marketplaceID: marketplaceID, integrationID: integration.id),
            .refresh)
        // The worker wrote the catalog and `refreshed_at`; show the integration as it is now.
        guard let refreshed = try await integrations.get(marketplaceID: marketplaceID, id: integration.id) else {
            throw APIError.notFound("integration \(integration.id)")
        }
        return Refreshed(integration: IntegrationView(refreshed), catalogCounts: reply.catalogCounts ?? [:])
    }

    @Sendable func searchCatalog(_ request: Request, context: APIRequestContext) async throws
        -> [String: [CatalogItem]]
    {
        let integration = try await find(context)
        let query = request.uri.queryParameters
        var kind: DestinationKind?
        if let text = query.get("kind"), !text.isEmpty {
            guard let value = DestinationKind(rawValue: text) else {
                let known = DestinationKind.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError.badRequest("is not a destination kind; expected one of \(known)", field: "kind")
            }
            kind = value
        }
        let prefix = query.get("prefix") ?? ""
        guard prefix.count <= 200 else {
            throw APIError.badRequest("must be at most 200 characters", field: "prefix")
        }
        let entries = try await catalog.search(
            integrationID: integration.id, kind: kind, prefix: prefix,
            limit: try query.limit(default: 50, maximum: 500))
        return ["entries": entries.map { CatalogItem(kind: $0.kind, id: $0.id, name: $0.name, parentID: $0.parentID) }]
    }

    /// The integration the path names, in the caller's marketplace, or 404.
    private func find(_ context: APIRequestContext) async throws -> Integration {
        let id = try context.parameters.require("id")
        guard let integration = try await integrations.get(marketplaceID: try context.marketplaceID, id: id) else {
            throw APIError.notFound("integration \(id)")
        }
        return integration
    }

    /// Renames and/or reconnects. New credentials are verified by the worker before anything is stored; a
    /// webhook's new secret is made here, like at creation.
    private func update(_ current: Integration, with body: PatchIntegration, marketplaceID: String) async throws
        -> IntegrationView
    {
        guard body.label != nil || body.credentials != nil else {
            throw APIError.badRequest("nothing to change: give label, credentials or both")
        }
        var change = IntegrationStore.Change()
        if let given = body.label {
            let label = try Self.validLabel(given)
            if label != current.label {
                try await requireFreeLabel(label, marketplaceID: marketplaceID, excluding: current.id)
                change.label = label
            }
        }
        var signingSecret: String?
        if let given = body.credentials {
            let connector = try descriptor(of: current)
            let credentials = try connector.checkedCredentials(given)
            if connector.connectsThroughWorker {
                guard !credentials.isEmpty else {
                    throw APIError.badRequest("must hold the new credentials", field: "credentials")
                }
                let reply = try await ask(
                    ConnectorRequest(
                        requestID: Identifier.random(prefix: "req"), operation: .verify, connector: connector.name,
                        marketplaceID: marketplaceID, integrationID: current.id,
                        sealedCredentials: try connectors.seal(credentials)),
                    .connect)
                change.credentials = try connected(by: reply)
            } else {
                let secret = try WebhookSecret.resolve(credentials["secret"])
                change.credentials = (["secret": secret], nil)
                signingSecret = secret
            }
        }
        let updated: Integration?
        do {
            updated = try await integrations.update(marketplaceID: marketplaceID, id: current.id, change)
        } catch let error as StorageError where error.code == .conflict {
            throw Self.labelTaken(change.label ?? current.label)
        }
        guard let updated else { throw APIError.notFound("integration \(current.id)") }
        if change.credentials != nil, try descriptor(of: updated).connectsThroughWorker { await refreshSoon(updated) }
        var view = IntegrationView(updated)
        view.signingSecret = signingSecret
        return view
    }

    /// Asks the worker and turns both a missing answer and a refusal into the API error for `call`.
    func ask(_ request: ConnectorRequest, _ call: ConnectorCall) async throws -> ConnectorReply {
        let reply: ConnectorReply
        do {
            reply = try await connectors.ask(request)
        } catch let failure as ConnectorClient.Failure {
            throw failure.apiError
        }
        if let failure = reply.error { throw failure.apiError(for: call) }
        return reply
    }

    /// The credentials and account a successful verify or code exchange returned.
    func connected(by reply: ConnectorReply) throws -> (values: [String: String], account: String?) {
        guard let sealed = reply.sealedCredentials else {
            throw StorageError(code: .corruptData, message: "the worker confirmed a connection without credentials")
        }
        return (try connectors.open(sealed), reply.account)
    }

    /// Asks for a first refresh without waiting, so the catalog fills by itself after a connect. A failure only
    /// delays that: the merchant can refresh by hand.
    func refreshSoon(_ integration: Integration) async {
        do {
            try await connectors.send(
                ConnectorRequest(
                    requestID: Identifier.random(prefix: "req"), operation: .refresh, connector: integration.connector,
                    marketplaceID: integration.marketplaceID, integrationID: integration.id))
        } catch {
            logger.warning("first refresh not requested", metadata: ["integration_id": "\(integration.id)"])
        }
    }

    func requireFreeLabel(_ label: String, marketplaceID: String, excluding id: String? = nil) async throws {
        if try await integrations.isLabelTaken(marketplaceID: marketplaceID, label: label, excluding: id) {
            throw Self.labelTaken(label)
        }
    }

    static func labelTaken(_ label: String) -> APIError {
        APIError(
            .conflict, code: "label_taken", message: "an integration labelled \"\(label)\" already exists",
            field: "label")
    }

    /// Labels are what merchants tell integrations apart by: 1 to 100 characters, trimmed.
    static func validLabel(_ given: String) throws -> String {
        let label = given.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(label.count) else {
            throw APIError.badRequest("must be 1 to 100 characters", field: "label")
        }
        return label
    }

    /// The descriptor of a stored integration's connector; a connector this build does not know is our fault.
    func descriptor(of integration: Integration) throws -> ConnectorDescriptor {
        guard let descriptor = ConnectorDescriptor.named(integration.connector) else {
            throw StorageError(code: .corruptData, message: "integration \(integration.id) has an unknown connector")
        }
        return descriptor
    }
}

/// The answer of `POST /v1/integrations/{id}/refresh`.
struct Refreshed: ResponseEncodable {
    var integration: IntegrationView
    var catalogCounts: [String: Int]

    enum CodingKeys: String, CodingKey {
        case integration
        case catalogCounts = "catalog_counts"
    }
}

/// The body of `PATCH /v1/integrations/{id}`.
struct PatchIntegration: Decodable {
    var label: String?
    var credentials: [String: String]?
}
