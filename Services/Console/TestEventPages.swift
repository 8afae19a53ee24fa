import APIClient
import Foundation
import GatewayAPI
import HTTPTypes
import Hummingbird
import LogServiceAPI

/// Send a test event: a `test: true` event for a trigger, with the email the merchant types (and the product, from
/// a product's page), then its log entries as they arrive, polled until every one is final.
struct TestEventPages: Sendable {
    let views: Views
    let api: ConsoleAPI

    var routes: RouteCollection<ConsoleContext> {
        let routes = RouteCollection(context: ConsoleContext.self)
        routes.get(use: form)
        routes.post(use: send)
        routes.get(":id", use: sent)
        routes.get(":id/entries", use: entries)
        return routes
    }

    @Sendable func form(_ request: Request, context: ConsoleContext) async throws -> Response {
        try page(Form(urlEncoded: request.uri.query ?? ""), error: nil, context: context)
    }

    private func page(_ form: Form, error: String?, context: ConsoleContext, status: HTTPResponse.Status = .ok) throws
        -> Response
    {
        let chosen = form["trigger"] ?? Gateway.TriggerType.product_purchased.rawValue
        var values: [String: Any] = [
            "triggers": Gateway.TriggerType.allCases.map {
                ["value": $0.rawValue, "label": Display.words($0.rawValue), "selected": $0.rawValue == chosen]
                    as [String: Any]
            },
            "email": form["email"] ?? "", "product_id": form["product_id"] ?? "",
            "product_name": form["product_name"] ?? "",
        ]
        if let error { values["error"] = error }
        return try views.page(
            "test-event", title: "Send a test event", tab: .testEvent, values, context: context, status: status)
    }

    @Sendable func send(_ request: Request, context: ConsoleContext) async throws -> Response {
        let form = context.form
        guard let type = form["trigger"].flatMap(Gateway.TriggerType.init(rawValue:)) else {
            return try page(form, error: "Choose the trigger.", context: context, status: .badRequest)
        }
        guard let email = form["email"] else {
            return try page(form, error: "Enter the customer's email address.", context: context, status: .badRequest)
        }
        let suffix = SessionSealer.randomToken().prefix(12).lowercased()
        let product = form["product_id"].map { Gateway.Product(id: $0, name: form["product_name"] ?? $0) }
        var event = Gateway.TriggerEvent(
            id: "evt_test_\(suffix)", _type: type, test: true, customer: .init(email: email), product: product)
        if type == .order_completed {
            guard let product else {
                return try page(form, error: "An order needs a product id.", context: context, status: .badRequest)
            }
            event.order = .init(id: "ord_test_\(suffix)", items: [.init(product: product)])
        }
        if type.rawValue.hasPrefix("subscription.") {
            event.subscription = .init(id: "sub_test_\(suffix)", status: "active")
        }
        do {
            let accepted = try await api.gateway(try context.signedIn).publishEvent(body: .json(event)).accepted.body
                .json
            return Redirect.to("/test-event/\(accepted.eventId.escapedForURL)")
        } catch {
            guard let refusal = APIRefusal(error), refusal.status == 400 else { throw error }
            return try page(form, error: refusal.sentence, context: context, status: .badRequest)
        }
    }

    /// The sent event's page; its entries load (and reload until final) through `entries`.
    @Sendable func sent(_ request: Request, context: ConsoleContext) async throws -> Response {
        let id = try context.parameters.require("id")
        return try views.page(
            "test-event-sent", title: "Test event sent", tab: .testEvent,
            ["event_id": id, "entries_url": "/test-event/\(id.escapedForURL)/entries"], context: context)
    }

    /// The event's log entries (htmx polls this every second until every entry is final).
    @Sendable func entries(_ request: Request, context: ConsoleContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let session = try context.signedIn
        let found = try await api.logs(session).searchLogs(query: .init(eventId: id, limit: 100)).ok.body.json.entries
        let actions = try await api.actionNames(session)
        let final = !found.isEmpty && found.allSatisfy { $0.status != .pending && $0.status != .retrying }
        return try views.fragment(
            "test-event-entries",
            [
                "entries": found.map { LogPages.row($0, actions: actions) }, "waiting": !final, "none": found.isEmpty,
                "entries_url": "/test-event/\(id.escapedForURL)/entries",
            ])
    }
}
