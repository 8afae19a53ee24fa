import Foundation
import HTTPTypes
import Hummingbird

/// Signs requests in and guards forms: opens the session cookie, sends a browser without a session to the
/// sign-in page (remembering where it was going), and refuses every changing request whose CSRF token does not
/// match its session's — or, for the sign-in form itself, the token of the sign-in cookie (double submit).
struct SessionMiddleware: RouterMiddleware {
    typealias Context = ConsoleContext

    let sealer: SessionSealer
    let views: Views

    static let sessionCookie = "switchyard_session"
    static let signInCookie = "switchyard_sign_in"

    func handle(_ request: Request, context: ConsoleContext, next: (Request, ConsoleContext) async throws -> Response)
        async throws -> Response
    {
        var request = request
        var context = context
        context.session = request.cookies[Self.sessionCookie].flatMap { sealer.open($0.value) }
        let path = request.uri.path
        let isPublic = path == "/sign-in" || path.hasPrefix("/static/") || path == "/health" || path == "/metrics"
        if request.method != .get && request.method != .head {
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            context.form = Form(urlEncoded: String(buffer: body))
            let expected =
                path == "/sign-in" ? request.cookies[Self.signInCookie]?.value : context.session?.csrfToken
            let sent = context.form.values["csrf"] ?? request.headers[.csrfToken]
            guard let expected, let sent, SessionSealer.same(expected, sent) else {
                context.logger.notice("form refused: missing or wrong CSRF token", metadata: ["path": "\(path)"])
                return try views.message(
                    status: .forbidden, title: "This form has expired",
                    text: "The page was open too long or came from elsewhere, so nothing was changed. Go back, "
                        + "reload the page and try again.",
                    context: context)
            }
        }
        guard isPublic || context.session != nil else {
            let target = request.uri.query.map { "\(path)?\($0)" } ?? path
            let signIn = "/sign-in?next=" + target.escapedForURL
            if request.headers[.htmxRequest] != nil {
                // htmx follows HX-Redirect with a full page load; a 303 would land inside the fragment.
                return Response(status: .ok, headers: [.htmxRedirect: signIn])
            }
            return Response(status: .seeOther, headers: [.location: signIn])
        }
        context.notice = request.cookies[Redirect.noticeCookie].flatMap { Redirect.notice(from: $0.value) }
        var response = try await next(request, context)
        if context.notice != nil, response.headers[.location] == nil {
            response.setCookie(Redirect.expiredNotice)
        }
        return response
    }
}

extension HTTPField.Name {
    /// Sent by htmx with every request it makes.
    static let htmxRequest = spelled("HX-Request")
    /// Tells htmx to load another page.
    static let htmxRedirect = spelled("HX-Redirect")
    /// The CSRF token of an htmx request (from `hx-headers` on the page's body).
    static let csrfToken = spelled("X-CSRF-Token")
}
