import APIClient
import Foundation
import GatewayAPI
import HTTPTypes
import Hummingbird

/// Integration Setup: the list, the New Integration wizard (choose the app → label → OAuth or the app's
/// credentials), Edit (rename, new credentials), Refresh and Delete.
struct IntegrationPages: Sendable {
    let views: Views
    let api: ConsoleAPI
    /// Where an OAuth sign-in sends the browser back (`/integrations/connected` of the console's public URL).
    let oauthReturnURL: String
    let icontactAppID: String?
    let icontactRegistrationURL: String

    var routes: RouteCollection<ConsoleContext> {
        let routes = RouteCollection(context: ConsoleContext.self)
        routes.get(use: list)
        routes.get("new", use: chooseApp)
        routes.get("label-check", use: labelCheck)
        routes.get("connected", use: oauthReturned)
        routes.get("new/:connector", use: connectForm)
        routes.post("new/:connector", use: connect)
        routes.get(":id/edit", use: editForm)
        routes.post(":id/edit", use: edit)
        routes.post(":id/refresh", use: refresh)
        routes.get(":id/delete", use: deleteForm)
        routes.post(":id/delete", use: delete)
        return routes
    }

    // MARK: List

    @Sendable func list(_ request: Request, context: ConsoleContext) async throws -> Response {
        let session = try context.signedIn
        async let integrations = api.gateway(session).listIntegrations().ok.body.json.integrations
        async let connectors = api.gateway(session).listConnectors().ok.body.json.connectors
        let names = Dictionary(try await connectors.map { ($0.name, $0.displayName) }, uniquingKeysWith: { a, _ in a })
        let rows = try await integrations.sorted {
            $0.label.localizedCaseInsensitiveCompare($1.label) == .orderedAscending
        }
        .map { Self.row($0, app: names[$0.connector] ?? $0.connector) }
        return try views.page(
            "integrations", title: "Integration Setup", tab: .integrations,
            ["integrations": rows, "empty": rows.isEmpty], context: context)
    }

    static func row(_ integration: Gateway.Integration, app: String) -> [String: Any] {
        let status = Display.status(integration.status)
        return [
            "id": integration.id, "label": integration.label, "app": app, "account": integration.account ?? "—",
            "status": status.text, "badge": status.badge,
            "needs_reconnect": integration.status == .needsReconnect,
            "refreshed": Display.time(integration.refreshedAt), "created": Display.time(integration.createdAt),
            "refreshable": integration.connector != "webhook",
        ]
    }

    // MARK: New Integration

    @Sendable func chooseApp(_ request: Request, context: ConsoleContext) async throws -> Response {
        let connectors = try await api.gateway(try context.signedIn).listConnectors().ok.body.json.connectors
        let apps = connectors.map { connector -> [String: Any] in
            [
                "name": connector.name, "display_name": connector.displayName,
                "how": Self.howItConnects(connector.auth),
                "actions": connector.actions.map(\.displayName).joined(separator: " · "),
            ]
        }
        return try views.page(
            "integration-new", title: "New Integration", tab: .integrations, ["apps": apps], context: context)
    }

    static func howItConnects(_ auth: Gateway.ConnectorAuth) -> String {
        switch auth {
        case .oauth2: "Sign in with the app (OAuth), or use an API key"
        case .credentials: "With the app's credentials"
        case .apiKey: "With an API key"
        case .secret: "Signed requests to a URL of yours"
        }
    }

    @Sendable func connectForm(_ request: Request, context: ConsoleContext) async throws -> Response {
        let connector = try await connector(context)
        return try connectPage(
            connector, label: request.uri.queryParameters.get("label") ?? "", error: nil, context: context)
    }

    @Sendable func connect(_ request: Request, context: ConsoleContext) async throws -> Response {
        let session = try context.signedIn
        let connector = try await connector(context)
        let form = context.form
        let label = form["label"] ?? ""
        let usesOAuth = connector.auth == .oauth2 && form["method"] != "credentials"
        var credentials: [String: String] = [:]
        if !usesOAuth {
            for field in connector.credentialFields {
                if let value = form[field.name] { credentials[field.name] = value }
            }
            if connector.name == "icontact", let icontactAppID { credentials["app_id"] = icontactAppID }
            for field in connector.credentialFields where field.required && credentials[field.name] == nil {
                return try connectPage(
                    connector, label: label, error: "Enter the \(field.displayName).", context: context,
                    status: .badRequest)
            }
        }
        let body = Gateway.ConnectIntegration(
            connector: connector.name, label: label,
            credentials: credentials.isEmpty ? nil : .init(additionalProperties: credentials),
            returnTo: usesOAuth ? oauthReturnURL : nil)
        do {
            switch try await api.gateway(session).connectIntegration(body: .json(body)) {
            case .ok(let started):
                // To the app's sign-in; it sends the browser to the gateway, which sends it back here.
                return Redirect.to(try started.body.json.authorizeUrl)
            case .created(let created):
                let integration = try created.body.json
                if let secret = integration.signingSecret {
                    return try views.page(
                        "integration-secret", title: "Webhook connected", tab: .integrations,
                        ["label": integration.label, "secret": secret], context: context)
                }
                return Redirect.to(
                    "/integrations",
                    notice: .success("\(integration.label) is connected. Its lists, tags and groups are being read."))
            case let other:
                throw ConsoleSetupError(message: "unexpected answer to connecting: \(other)")
            }
        } catch {
            guard let refusal = APIRefusal(error), refusal.status < 500 || refusal.status == 502 else { throw error }
            return try connectPage(
                connector, label: label, error: refusal.sentence, context: context, status: .unprocessableContent)
        }
    }

    private func connectPage(
        _ connector: Gateway.ConnectorDescriptor, label: String, error: String?, context: ConsoleContext,
        status: HTTPResponse.Status = .ok
    ) throws -> Response {
        var values: [String: Any] = [
            "connector": connector.name, "display_name": connector.displayName, "label": label,
            "oauth": connector.auth == .oauth2,
            "fields": Self.fields(connector, icontactAppID: icontactAppID),
        ]
        if connector.name == "icontact" {
            values["icontact"] = [
                "app_id": icontactAppID ?? "", "has_app_id": icontactAppID != nil,
                "registration_url": icontactRegistrationURL,
            ]
        }
        if let error { values["error"] = error }
        return try views.page(
            "integration-connect", title: "Connect \(connector.displayName)", tab: .integrations, values,
            context: context, status: status)
    }

    /// The credential form of a connector (iContact's App ID is shown, not asked, when the installation has one).
    static func fields(_ connector: Gateway.ConnectorDescriptor, icontactAppID: String?) -> [[String: Any]] {
        connector.credentialFields.filter {
            !(connector.name == "icontact" && $0.name == "app_id" && icontactAppID != nil)
        }
        .map { field in
            [
                "name": field.name, "label": field.displayName, "required": field.required,
                "type": field.secret ? "password" : "text",
                "autocomplete": field.secret ? "new-password" : "off",
            ]
        }
    }

    /// Uniqueness as the merchant types (htmx); the API checks again on submit.
    @Sendable func labelCheck(_ request: Request, context: ConsoleContext) async throws -> Response {
        let label = (request.uri.queryParameters.get("label") ?? "").trimmingCharacters(in: .whitespaces)
        let current = request.uri.queryParameters.get("except")
        guard !label.isEmpty else { return try views.fragment("label-hint", ["text": "1 to 100 characters."]) }
        let integrations = try await api.gateway(try context.signedIn).listIntegrations().ok.body.json.integrations
        let taken = integrations.contains { $0.label.caseInsensitiveCompare(label) == .orderedSame && $0.id != current }
        if label.count > 100 {
            return try views.fragment("label-hint", ["text": "At most 100 characters.", "problem": true])
        }
        return try views.fragment(
            "label-hint",
            taken
                ? ["text": "Another integration is called “\(label)”; choose another name.", "problem": true]
                : ["text": "“\(label)” is free.", "fine": true])
    }

    /// Where the gateway sends the browser after the app's OAuth callback.
    @Sendable func oauthReturned(_ request: Request, context: ConsoleContext) async throws -> Response {
        let query = request.uri.queryParameters
        var values: [String: Any] = [:]
        if let id = query.get("integration_id") {
            let integration = try await api.gateway(try context.signedIn).getIntegration(path: .init(id: id)).ok.body
                .json
            values["integration"] = Self.row(integration, app: integration.connector.capitalized)
        } else {
            values["error"] = query.get("message") ?? "The app did not connect."
        }
        return try views.page(
            "integration-connected", title: values["error"] == nil ? "Connected" : "Not connected",
            tab: .integrations, values, context: context)
    }

    // MARK: Edit, Refresh, Delete

    @Sendable func editForm(_ request: Request, context: ConsoleContext) async throws -> Response {
        try await editPage(context, error: nil)
    }

    @Sendable func edit(_ request: Request, context: ConsoleContext) async throws -> Response {
        let session = try context.signedIn
        let id = try context.parameters.require("id")
        let form = context.form
        let change: Gateway.IntegrationChange
        if form["change"] == "credentials" {
            let integration = try await api.gateway(session).getIntegration(path: .init(id: id)).ok.body.json
            let connector = try await connector(named: integration.connector, session: session)
            var credentials: [String: String] = [:]
            for field in connector.credentialFields {
                if let value = form[field.name] { credentials[field.name] = value }
            }
            if connector.name == "icontact", let icontactAppID { credentials["app_id"] = icontactAppID }
            change = .init(credentials: .init(additionalProperties: credentials))
        } else {
            change = .init(label: form["label"] ?? "")
        }
        do {
            let updated = try await api.gateway(session).updateIntegration(path: .init(id: id), body: .json(change)).ok
                .body.json
            if let secret = updated.signingSecret {
                return try views.page(
                    "integration-secret", title: "New signing secret", tab: .integrations,
                    ["label": updated.label, "secret": secret], context: context)
            }
            return Redirect.to("/integrations", notice: .success("\(updated.label) is saved."))
        } catch {
            guard let refusal = APIRefusal(error), refusal.status != 404, refusal.status < 500 || refusal.status == 502
            else { throw error }
            return try await editPage(context, error: refusal.sentence, status: .unprocessableContent)
        }
    }

    private func editPage(_ context: ConsoleContext, error: String?, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let session = try context.signedIn
        let id = try context.parameters.require("id")
        let integration = try await api.gateway(session).getIntegration(path: .init(id: id)).ok.body.json
        let connector = try await connector(named: integration.connector, session: session)
        var values: [String: Any] = [
            "integration": Self.row(integration, app: connector.displayName),
            "fields": Self.fields(connector, icontactAppID: icontactAppID),
            "is_webhook": connector.name == "webhook",
        ]
        if let error { values["error"] = error }
        return try views.page(
            "integration-edit", title: "Edit \(integration.label)", tab: .integrations, values, context: context,
            status: status)
    }

    /// Re-reads the app's lists, tags and groups: for htmx the result in place (the page shows progress
    /// meanwhile), otherwise back to the list with a notice.
    @Sendable func refresh(_ request: Request, context: ConsoleContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let result: (text: String, fine: Bool)
        do {
            let refreshed = try await api.gateway(try context.signedIn).refreshIntegration(path: .init(id: id)).ok.body
                .json
            result = ("Refreshed: \(Display.counts(refreshed.catalogCounts.additionalProperties)).", true)
        } catch {
            guard let refusal = APIRefusal(error), refusal.status != 404, refusal.status != 401 else { throw error }
            result = ("Refresh failed: \(refusal.sentence)", false)
        }
        if request.headers[.htmxRequest] != nil {
            return try views.fragment("refresh-result", ["text": result.text, "fine": result.fine])
        }
        let back = context.form["back"].map(SignInRoutes.safeNext) ?? "/integrations"
        return Redirect.to(back, notice: result.fine ? .success(result.text) : .error(result.text))
    }

    @Sendable func deleteForm(_ request: Request, context: ConsoleContext) async throws -> Response {
        try await deletePage(context, error: nil)
    }

    @Sendable func delete(_ request: Request, context: ConsoleContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let cascade = context.form.isChecked("cascade")
        do {
            _ = try await api.gateway(try context.signedIn).deleteIntegration(
                path: .init(id: id), query: .init(cascade: cascade ? true : nil)
            ).noContent
        } catch {
            guard let refusal = APIRefusal(error), refusal.status == 409 else { throw error }
            return try await deletePage(context, error: refusal.sentence, status: .conflict)
        }
        return Redirect.to("/integrations", notice: .success("The integration is deleted."))
    }

    private func deletePage(_ context: ConsoleContext, error: String?, status: HTTPResponse.Status = .ok) async throws
        -> Response
    {
        let session = try context.signedIn
        let id = try context.parameters.require("id")
        let integration = try await api.gateway(session).getIntegration(path: .init(id: id)).ok.body.json
        let rules = try await api.gateway(session).listRules().ok.body.json.rules.filter { $0.integrationId == id }
        var values: [String: Any] = [
            "integration": Self.row(integration, app: integration.connector),
            "rules": rules.map(RulePages.row), "rule_count": rules.count, "has_rules": !rules.isEmpty,
        ]
        if let error { values["error"] = error }
        return try views.page(
            "integration-delete", title: "Delete \(integration.label)", tab: .integrations, values, context: context,
            status: status)
    }

    // MARK: Connectors

    private func connector(_ context: ConsoleContext) async throws -> Gateway.ConnectorDescriptor {
        try await connector(named: try context.parameters.require("connector"), session: try context.signedIn)
    }

    private func connector(named name: String, session: Session) async throws -> Gateway.ConnectorDescriptor {
        let connectors = try await api.gateway(session).listConnectors().ok.body.json.connectors
        guard let connector = connectors.first(where: { $0.name == name }) else { throw HTTPError(.notFound) }
        return connector
    }
}
