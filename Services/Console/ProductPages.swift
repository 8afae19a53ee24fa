import Foundation
import GatewayAPI
import HTTPTypes
import Hummingbird

/// Products: the marketplace's products (seen in events and named by rules), any product id opened directly, and a
/// product's Integrations tab — its rules.
struct ProductPages: Sendable {
    let views: Views
    let api: ConsoleAPI
    let rules: RulePages

    var routes: RouteCollection<ConsoleContext> {
        let routes = RouteCollection(context: ConsoleContext.self)
        routes.get(use: list)
        routes.get("open", use: open)
        routes.get(":id", use: product)
        return routes
    }

    @Sendable func list(_ request: Request, context: ConsoleContext) async throws -> Response {
        let products = try await api.gateway(try context.signedIn).listProducts().ok.body.json.products
        let rows = products.map { product -> [String: Any] in
            [
                "id": product.id, "path": product.id.escapedForURL, "name": product.name ?? "—",
                "last_seen": product.lastSeenAt.map(Display.time) ?? "not in an event yet",
                "rule_count": product.ruleCount,
            ]
        }
        return try views.page(
            "products", title: "Products", tab: .products, ["products": rows, "empty": rows.isEmpty], context: context)
    }

    /// "Open a product id" from the list's form.
    @Sendable func open(_ request: Request, context: ConsoleContext) async throws -> Response {
        guard let id = Form(urlEncoded: request.uri.query ?? "")["id"] else { return Redirect.to("/products") }
        return Redirect.to("/products/\(id.escapedForURL)")
    }

    /// A product's Integrations tab: its rules, New Rule, Send a test event.
    @Sendable func product(_ request: Request, context: ConsoleContext) async throws -> Response {
        let session = try context.signedIn
        let id = try context.parameters.require("id")
        async let products = api.gateway(session).listProducts().ok.body.json.products
        let productRules = try await api.gateway(session).listRules(query: .init(productId: id)).ok.body.json.rules
        let known = try await products.first { $0.id == id }
        let path = id.escapedForURL
        return try views.page(
            "product", title: known?.name ?? id, tab: .products,
            [
                "id": id, "name": known?.name ?? "", "has_name": known?.name != nil,
                "last_seen": known?.lastSeenAt.map { "last seen in an event \(Display.time($0))" }
                    ?? "not seen in an event yet",
                "rules": try await rules.rows(productRules, session: session), "empty": productRules.isEmpty,
                "new_rule": "/rules/new?product_id=\(path)", "back": "/products/\(path)",
                "test_event": "/test-event?product_id=\(path)",
            ], context: context)
    }
}
