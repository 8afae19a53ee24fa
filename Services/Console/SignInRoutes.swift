import APIClient
import Foundation
import HTTPTypes
import Hummingbird

/// `/sign-in`, `/sign-out`: a merchant signs in with the marketplace's API key, which the console checks with the
/// gateway and then keeps only sealed in an HttpOnly, SameSite cookie that expires.
struct SignInRoutes: Sendable {
    let views: Views
    let api: ConsoleAPI
    let sealer: SessionSealer
    let lifetime: Duration
    let secureCookies: Bool

    var routes: RouteCollection<ConsoleContext> {
        let routes = RouteCollection(context: ConsoleContext.self)
        routes.get("sign-in", use: form)
        routes.post("sign-in", use: signIn)
        routes.post("sign-out", use: signOut)
        return routes
    }

    /// The cookie that ends a session.
    static let endedSession = Cookie(
        name: SessionMiddleware.sessionCookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .lax)

    @Sendable func form(_ request: Request, context: ConsoleContext) async throws -> Response {
        if context.session != nil { return Redirect.to(Self.safeNext(request.uri.queryParameters.get("next"))) }
        return try page(next: request.uri.queryParameters.get("next"), error: nil, request: request, context: context)
    }

    @Sendable func signIn(_ request: Request, context: ConsoleContext) async throws -> Response {
        let next = context.form["next"]
        guard let key = context.form["api_key"] else {
            return try page(next: next, error: "Enter your marketplace's API key.", request: request, context: context)
        }
        let session = Session(
            apiKey: key, csrfToken: SessionSealer.randomToken(),
            expiresAt: Date() + TimeInterval(lifetime.components.seconds))
        do {
            _ = try await api.gateway(session).listIntegrations().ok.body.json
        } catch {
            guard let refusal = APIRefusal(error), refusal.status == 401 else { throw error }
            context.logger.notice("sign-in refused: unknown API key")
            return try page(
                next: next, error: "That API key is not accepted. Check it and try again (keys start with sk_).",
                request: request, context: context, status: .unauthorized)
        }
        var response = Redirect.to(Self.safeNext(next))
        response.setCookie(
            Cookie(
                name: SessionMiddleware.sessionCookie, value: try sealer.seal(session),
                maxAge: Int(lifetime.components.seconds), path: "/", secure: secureCookies, httpOnly: true,
                sameSite: .lax))
        response.setCookie(
            Cookie(name: SessionMiddleware.signInCookie, value: "", maxAge: 0, path: "/sign-in", sameSite: .strict))
        return response
    }

    @Sendable func signOut(_ request: Request, context: ConsoleContext) async throws -> Response {
        var response = Redirect.to("/sign-in", notice: Notice(text: "You are signed out.", kind: .info))
        response.setCookie(Self.endedSession)
        return response
    }

    private func page(
        next: String?, error: String?, request: Request, context: ConsoleContext, status: HTTPResponse.Status = .ok
    ) throws -> Response {
        let token = request.cookies[SessionMiddleware.signInCookie]?.value ?? SessionSealer.randomToken()
        var context = context
        context.session = nil
        var values: [String: Any] = ["sign_in_token": token, "next": Self.safeNext(next)]
        if let error { values["error"] = error }
        var response = try views.page("sign-in", title: "Sign in", values, context: context, status: status)
        response.setCookie(
            Cookie(
                name: SessionMiddleware.signInCookie, value: token, maxAge: 3600, path: "/sign-in",
                secure: secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    /// Where to go after signing in: a path of this console only ("/logs?…"), never another site.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"), !next.hasPrefix("/sign-")
        else { return "/integrations" }
        return next
    }
}
