import Connectors
import Foundation
import HTTPAPI
import Hummingbird
import Messages
import Storage

/// Connecting an app: with credentials (verified by the connector's worker before anything is stored), with
/// OAuth (an authorize URL now, the integration when the app calls back), or a webhook (its secret made here).
extension IntegrationRoutes {
    /// `GET /v1/oauth/callback`, relative to `/v1/oauth`. No API key: the app sends the merchant's browser here, and
    /// the single-use state names the marketplace and the label the connection was started for.
    var callbackRoutes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.get("callback", use: oauthCallback)
        return routes
    }

    /// `POST /v1/integrations`.
    @Sendable func connect(_ request: Request, context: APIRequestContext) async throws -> ConnectAnswer {
        let marketplaceID = try context.marketplaceID
        let body = try await request.decode(as: CreateIntegration.self, context: context)
        let label = try Self.validLabel(body.label)
        guard let connector = ConnectorDescriptor.named(body.connector) else {
            let known = ConnectorDescriptor.all.map(\.name).joined(separator: ", ")
            throw APIError.badRequest("is not a known connector; expected one of \(known)", field: "connector")
        }
        let credentials = try connector.checkedCredentials(body.credentials ?? [:])
        // Before any app is asked: a merchant must not sign in only to hear that the name is taken.
        try await requireFreeLabel(label, marketplaceID: marketplaceID)
        guard connector.connectsThroughWorker else {
            let secret = try WebhookSecret.resolve(credentials["secret"])
            var view = IntegrationView(
                try await create(
                    marketplaceID: marketplaceID, connector: connector, label: label,
                    connected: (["secret": secret], nil)))
            view.signingSecret = secret
            return .connected(view)
        }
        if credentials.isEmpty, connector.auth == .oauth2 {
            let returnTo = try body.returnTo.map(Self.validReturnTo)
            return .signIn(
                try await startOAuth(
                    marketplaceID: marketplaceID, connector: connector, label: label, returnTo: returnTo))
        }
        let reply = try await ask(
            ConnectorRequest(
                requestID: Identifier.random(prefix: "req"), operation: .verify, connector: connector.name,
                marketplaceID: marketplaceID, sealedCredentials: try connectors.seal(credentials)),
            .connect)
        let integration = try await create(
            marketplaceID: marketplaceID, connector: connector, label: label, connected: try connected(by: reply))
        await refreshSoon(integration)
        return .connected(IntegrationView(integration))
    }

    /// `GET /v1/oauth/callback`: the integration, `201`, once the app's code is exchanged. When the connection was
    /// started with a `return_to` (a browser client such as the console), the browser goes back there instead —
    /// `303` with `integration_id` on success, `error` and `message` when nothing was connected.
    @Sendable func oauthCallback(_ request: Request, context: APIRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        guard let state = query.get("state"), !state.isEmpty else {
            throw APIError(
                .badRequest, code: "invalid_state",
                message: "the state this API issued when the connection started "
                    + "is missing", field: "state")
        }
        let consumed = try await oauthStates.consume(state)
        let returnTo: String?
        switch consumed {
        case .valid(let started), .expired(let started): returnTo = started.returnTo
        case .unknown: returnTo = nil
        }
        do {
            let integration = try await finishOAuth(state: state, consumed: consumed, query: query)
            guard let returnTo else {
                return try EditedResponse(status: .created, response: IntegrationView(integration))
                    .response(from: request, context: context)
            }
            return Self.redirect(to: returnTo, with: ["integration_id": integration.id])
        } catch let error as APIError {
            guard let returnTo else { throw error }
            return Self.redirect(to: returnTo, with: ["error": error.code, "message": error.message])
        }
    }

    /// Exchanges the app's code for the connection the consumed state stands for, and stores it.
    private func finishOAuth(state: String, consumed: OAuthStateStore.Consumed, query: Parameters) async throws
        -> Integration
    {
        if let refusal = query.get("error") {
            throw Self.denied(refusal, consumed: consumed)
        }
        let started: OAuthState
        switch consumed {
        case .valid(let found):
            started = found
        case .expired:
            throw APIError(
                .badRequest, code: "invalid_state",
                message: "This sign-in took too long and its state expired; nothing was connected. Start the "
                    + "connection again.",
                field: "state")
        case .unknown:
            throw APIError(
                .badRequest, code: "invalid_state",
                message: "This state is unknown or was already used; nothing was connected. Start the connection "
                    + "again.",
                field: "state")
        }
        guard let code = query.get("code"), !code.isEmpty else {
            throw APIError.badRequest("is missing: the app did not send an authorization code", field: "code")
        }
        guard let connector = ConnectorDescriptor.named(started.connector) else {
            throw StorageError(code: .corruptData, message: "an OAuth state names an unknown connector")
        }
        let reply = try await ask(
            ConnectorRequest(
                requestID: Identifier.random(prefix: "req"), operation: .exchangeCode, connector: connector.name,
                marketplaceID: started.marketplaceID, state: state, redirectURI: oauthRedirectURI, code: code),
            .connect)
        let integration = try await create(
            marketplaceID: started.marketplaceID, connector: connector, label: started.label,
            connected: try connected(by: reply))
        await refreshSoon(integration)
        return integration
    }

    /// `303 See Other` to `url` with `items` added to its query.
    private static func redirect(to url: String, with items: [String: String]) -> Response {
        var components = URLComponents(string: url) ?? URLComponents()
        components.queryItems =
            (components.queryItems ?? [])
            + items.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        return Response(status: .seeOther, headers: [.location: components.string ?? url, .cacheControl: "no-store"])
    }

    /// A `return_to` must be an absolute `http`/`https` URL without credentials: the browser is sent there.
    static func validReturnTo(_ text: String) throws -> String {
        guard text.count <= 2000, let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty, components.user == nil, components.password == nil
        else {
            throw APIError.badRequest(
                "must be an absolute http or https URL (at most 2000 characters) without credentials",
                field: "return_to")
        }
        return text
    }

    /// Issues a state and asks the worker for the app's authorize URL; the merchant's browser goes there.
    private func startOAuth(
        marketplaceID: String, connector: ConnectorDescriptor, label: String, returnTo: String?
    ) async throws -> OAuthStart {
        let (state, expiresAt) = try await oauthStates.create(
            marketplaceID: marketplaceID, connector: connector.name, label: label, returnTo: returnTo,
            ttl: oauthStateTTL)
        let reply = try await ask(
            ConnectorRequest(
                requestID: Identifier.random(prefix: "req"), operation: .authorizeURL, connector: connector.name,
                marketplaceID: marketplaceID, state: state, redirectURI: oauthRedirectURI),
            .connect)
        guard let url = reply.authorizeURL else {
            throw StorageError(code: .corruptData, message: "the worker answered without an authorize URL")
        }
        return OAuthStart(authorizeURL: url, state: state, expiresAt: expiresAt)
    }

    /// Stores a verified connection; the label may have been taken while the app was being asked.
    private func create(
        marketplaceID: String, connector: ConnectorDescriptor, label: String,
        connected: (values: [String: String], account: String?)
    ) async throws -> Integration {
        do {
            return try await integrations.create(
                marketplaceID: marketplaceID, connector: connector.name, label: label, credentials: connected.values,
                account: connected.account)
        } catch let error as StorageError where error.code == .conflict {
            throw Self.labelTaken(label)
        }
    }

    /// The app sent the browser back without access (`error=access_denied` when the merchant clicked "deny").
    private static func denied(_ refusal: String, consumed: OAuthStateStore.Consumed) -> APIError {
        let app: String
        switch consumed {
        case .valid(let state), .expired(let state):
            app = ConnectorDescriptor.named(state.connector)?.displayName ?? "The app"
        case .unknown: app = "The app"
        }
        let message =
            refusal == "access_denied"
            ? "\(app) access was not granted, so nothing was connected. Start the connection again to retry."
            : "\(app) did not grant access (it answered \"\(refusal.prefix(100))\"), so nothing was connected. Start "
                + "the connection again to retry."
        return APIError(.badRequest, code: "access_denied", message: message)
    }
}

/// The answer to `POST /v1/integrations`: `201` and the integration, or `200` and where to send the merchant's
/// browser to sign in (OAuth).
enum ConnectAnswer: ResponseGenerator {
    case connected(IntegrationView)
    case signIn(OAuthStart)

    func response(from request: Request, context: some RequestContext) throws -> Response {
        switch self {
        case .connected(let view):
            try EditedResponse(status: .created, response: view).response(from: request, context: context)
        case .signIn(let start):
            try start.response(from: request, context: context)
        }
    }
}

/// The body of `POST /v1/integrations`.
struct CreateIntegration: Decodable {
    var connector: String
    var label: String
    var credentials: [String: String]?
    /// For OAuth: where the merchant's browser goes after the app's callback (see `oauthCallback`).
    var returnTo: String?

    enum CodingKeys: String, CodingKey {
        case connector, label, credentials
        case returnTo = "return_to"
    }
}

/// The answer to an OAuth connect: where to send the merchant's browser, and until when it may come back.
struct OAuthStart: ResponseEncodable {
    var authorizeURL: String
    var state: String
    var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case state
        case authorizeURL = "authorize_url"
        case expiresAt = "expires_at"
    }
}
