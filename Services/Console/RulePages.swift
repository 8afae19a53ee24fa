import APIClient
import Foundation
import GatewayAPI
import HTTPTypes
import Hummingbird

/// Global Rules, a product's Integrations tab, and the New Rule wizard: trigger → integration (by label) → the
/// connector's action → destination, found in the integration's catalog by typeahead (with Refresh right there)
/// or typed by hand.
struct RulePages: Sendable {
    let views: Views
    let api: ConsoleAPI

    var routes: RouteCollection<ConsoleContext> {
        let routes = RouteCollection(context: ConsoleContext.self)
        routes.get(use: globalRules)
        routes.get("new", use: newRule)
        routes.post("new", use: create)
        routes.get("new/fields", use: actionFields)
        routes.get("catalog", use: catalogOptions)
        routes.post(":id/enable", use: enable)
        routes.post(":id/disable", use: disable)
        routes.post(":id/delete", use: delete)
        return routes
    }

    /// A rule as the tables show it.
    static func row(_ rule: Gateway.Rule) -> [String: Any] {
        [
            "id": rule.id, "trigger": Display.words(rule.trigger.rawValue), "trigger_raw": rule.trigger.rawValue,
            "integration_id": rule.integrationId, "action": rule.action,
            "destination": Display.destination(rule.destination), "enabled": rule.enabled,
            "product_id": rule.productId ?? "",
        ]
    }

    /// Rows with each rule's integration label and action name.
    func rows(_ rules: [Gateway.Rule], session: Session) async throws -> [[String: Any]] {
        async let integrations = api.gateway(session).listIntegrations().ok.body.json.integrations
        async let names = api.actionNames(session)
        let labels = Dictionary(
            try await integrations.map { ($0.id, ($0.label, $0.connector)) }, uniquingKeysWith: { a, _ in a })
        let actions = try await names
        return rules.map { rule in
            var row = Self.row(rule)
            let integration = labels[rule.integrationId]
            row["integration"] = integration?.0 ?? rule.integrationId
            row["action"] = integration.flatMap { actions["\($0.1)/\(rule.action)"] } ?? rule.action
            return row
        }
    }

    @Sendable func globalRules(_ request: Request, context: ConsoleContext) async throws -> Response {
        let session = try context.signedIn
        let rules = try await api.gateway(session).listRules(query: .init(scope: .global)).ok.body.json.rules
        return try views.page(
            "rules", title: "Global Rules", tab: .rules,
            [
                "rules": try await rows(rules, session: session), "empty": rules.isEmpty,
                "new_rule": "/rules/new?scope=global", "back": "/rules",
            ], context: context)
    }

    // MARK: New Rule

    @Sendable func newRule(_ request: Request, context: ConsoleContext) async throws -> Response {
        try await rulePage(form: Form(urlEncoded: request.uri.query ?? ""), error: nil, context: context)
    }

    @Sendable func create(_ request: Request, context: ConsoleContext) async throws -> Response {
        let session = try context.signedIn
        let form = context.form
        do {
            let input = try await ruleInput(form, session: session)
            let rule = try await api.gateway(session).createRule(body: .json(input)).created.body.json
            let back = rule.productId.map { "/products/\($0.escapedForURL)" } ?? "/rules"
            return Redirect.to(back, notice: .success("The rule is saved and in force."))
        } catch let problem as FormProblem {
            return try await rulePage(form: form, error: problem.message, context: context, status: .badRequest)
        } catch {
            guard let refusal = APIRefusal(error), refusal.status < 500 else { throw error }
            return try await rulePage(
                form: form, error: refusal.sentence, context: context, status: .unprocessableContent)
        }
    }

    /// What the form says, as the API's rule; the destination's id is looked up in the catalog unless the
    /// merchant typed it by hand.
    private func ruleInput(_ form: Form, session: Session) async throws -> Gateway.RuleInput {
        let productID = form["product_id"]
        guard let triggerText = form["trigger"], let trigger = Gateway.TriggerType(rawValue: triggerText) else {
            throw FormProblem(message: "Choose the trigger.")
        }
        guard let integrationID = form["integration_id"] else { throw FormProblem(message: "Choose the integration.") }
        let integration = try await api.gateway(session).getIntegration(path: .init(id: integrationID)).ok.body.json
        let connectors = try await api.gateway(session).listConnectors().ok.body.json.connectors
        guard let connector = connectors.first(where: { $0.name == integration.connector }),
            let actionName = form["action"], let action = connector.actions.first(where: { $0.name == actionName })
        else { throw FormProblem(message: "Choose what to do.") }
        guard let name = form["destination_name"] else {
            throw FormProblem(
                message: action.destinationKind == .url
                    ? "Enter the URL to send events to." : "Choose the \(action.destinationKind.rawValue).")
        }
        let parentID = form["parent_id"]
        if action.parentKind != nil, parentID == nil {
            throw FormProblem(message: "Choose the \(action.parentKind?.rawValue ?? "list") it belongs to.")
        }
        var destination = Gateway.Destination(kind: action.destinationKind, id: nil, name: name, parentId: parentID)
        if action.destinationKind != .url, !form.isChecked("typed") {
            let found = try await api.gateway(session).searchCatalog(
                path: .init(id: integrationID), query: .init(kind: action.destinationKind, prefix: name, limit: 100)
            ).ok.body.json.entries.first {
                $0.name.caseInsensitiveCompare(name) == .orderedSame && (parentID == nil || $0.parentId == parentID)
            }
            guard let found else {
                throw FormProblem(
                    message: "\(integration.label) has no \(action.destinationKind.rawValue) called “\(name)” that the "
                        + "console knows of. Refresh the integration, or tick “Type it in” to use the name as it is.")
            }
            destination.id = found.id
            destination.name = found.name
        }
        return Gateway.RuleInput(
            scope: productID == nil ? .global : .product, productId: productID, trigger: trigger,
            integrationId: integrationID, action: action.name, destination: destination,
            enabled: true)
    }

    private func rulePage(form: Form, error: String?, context: ConsoleContext, status: HTTPResponse.Status = .ok)
        async throws -> Response
    {
        let session = try context.signedIn
        let integrations = try await api.gateway(session).listIntegrations().ok.body.json.integrations
            .sorted { $0.label.localizedCaseInsensitiveCompare($1.label) == .orderedAscending }
        let productID = form["product_id"]
        let chosenTrigger = form["trigger"]
        let triggers = Gateway.TriggerType.allCases.map { trigger -> [String: Any] in
            [
                "value": trigger.rawValue, "label": Display.words(trigger.rawValue),
                "selected": trigger.rawValue == chosenTrigger,
            ]
        }
        let chosen = form["integration_id"] ?? integrations.first?.id
        var values: [String: Any] = [
            "product_id": productID ?? "", "is_product": productID != nil, "triggers": triggers,
            "integrations": integrations.map {
                ["id": $0.id, "label": $0.label, "app": $0.connector, "selected": $0.id == chosen] as [String: Any]
            },
            "no_integrations": integrations.isEmpty,
            "back": productID.map { "/products/\($0.escapedForURL)" } ?? "/rules",
        ]
        if let chosen { values["fields"] = try await fieldValues(integrationID: chosen, form: form, session: session) }
        if let error { values["error"] = error }
        return try views.page(
            "rule-new", title: productID.map { "New rule for \($0)" } ?? "New global rule",
            tab: productID == nil ? .rules : .products, values, context: context, status: status)
    }

    /// The action and destination part of the form, for the chosen integration (swapped in by htmx when the
    /// merchant picks another integration or action).
    @Sendable func actionFields(_ request: Request, context: ConsoleContext) async throws -> Response {
        let form = Form(urlEncoded: request.uri.query ?? "")
        guard let integrationID = form["integration_id"] else { throw HTTPError(.notFound) }
        return try views.fragment(
            "rule-fields",
            try await fieldValues(integrationID: integrationID, form: form, session: try context.signedIn))
    }

    private func fieldValues(integrationID: String, form: Form, session: Session) async throws -> [String: Any] {
        let integration = try await api.gateway(session).getIntegration(path: .init(id: integrationID)).ok.body.json
        let connectors = try await api.gateway(session).listConnectors().ok.body.json.connectors
        guard let connector = connectors.first(where: { $0.name == integration.connector }) else {
            throw HTTPError(.notFound)
        }
        let action = connector.actions.first { $0.name == form["action"] } ?? connector.actions[0]
        var values: [String: Any] = [
            "integration_id": integration.id, "integration_label": integration.label,
            "actions": connector.actions.map {
                ["value": $0.name, "label": $0.displayName, "selected": $0.name == action.name] as [String: Any]
            },
            "kind": action.destinationKind.rawValue, "kind_label": action.destinationKind.rawValue.capitalized,
            "is_url": action.destinationKind == .url,
            "destination_name": form["destination_name"] ?? "", "typed": form.isChecked("typed"),
        ]
        if let parentKind = action.parentKind {
            let parents = try await api.gateway(session).searchCatalog(
                path: .init(id: integration.id), query: .init(kind: parentKind, limit: 500)
            ).ok.body.json.entries
            let chosen = form["parent_id"] ?? parents.first?.id
            values["parent"] = [
                "kind": parentKind.rawValue, "kind_label": parentKind.rawValue,
                "options": parents.map {
                    ["id": $0.id, "name": $0.name, "selected": $0.id == chosen] as [String: Any]
                },
                "empty": parents.isEmpty,
            ]
        }
        return values
    }

    /// Typeahead: the catalog's entries of the kind starting with what was typed, as listbox options.
    @Sendable func catalogOptions(_ request: Request, context: ConsoleContext) async throws -> Response {
        let form = Form(urlEncoded: request.uri.query ?? "")
        guard let integrationID = form["integration_id"], let kindText = form["kind"],
            let kind = Gateway.DestinationKind(rawValue: kindText)
        else { throw HTTPError(.notFound) }
        let prefix = form["destination_name"] ?? ""
        let parentID = form["parent_id"]
        let entries = try await api.gateway(try context.signedIn).searchCatalog(
            path: .init(id: integrationID), query: .init(kind: kind, prefix: prefix.isEmpty ? nil : prefix, limit: 20)
        ).ok.body.json.entries.filter { parentID == nil || $0.parentId == nil || $0.parentId == parentID }
        return try views.fragment(
            "catalog-options",
            [
                "options": entries.map { ["id": $0.id, "name": $0.name] }, "empty": entries.isEmpty,
                "prefix": prefix, "kind": kind.rawValue,
            ])
    }

    // MARK: Enable, disable, delete

    @Sendable func enable(_ request: Request, context: ConsoleContext) async throws -> Response {
        try await change(context, .init(enabled: true), notice: "The rule is enabled.")
    }

    @Sendable func disable(_ request: Request, context: ConsoleContext) async throws -> Response {
        try await change(
            context, .init(enabled: false), notice: "The rule is disabled; it is kept but matches nothing.")
    }

    @Sendable func delete(_ request: Request, context: ConsoleContext) async throws -> Response {
        let id = try context.parameters.require("id")
        _ = try await api.gateway(try context.signedIn).deleteRule(path: .init(id: id)).noContent
        return Redirect.to(
            context.form["back"].map(SignInRoutes.safeNext) ?? "/rules", notice: .success("The rule is deleted."))
    }

    private func change(_ context: ConsoleContext, _ change: Gateway.RuleChange, notice: String) async throws
        -> Response
    {
        let id = try context.parameters.require("id")
        _ = try await api.gateway(try context.signedIn).updateRule(path: .init(id: id), body: .json(change)).ok.body
            .json
        return Redirect.to(context.form["back"].map(SignInRoutes.safeNext) ?? "/rules", notice: .success(notice))
    }
}

/// A form the merchant has to correct before anything is asked of the API.
struct FormProblem: Error {
    var message: String
}
