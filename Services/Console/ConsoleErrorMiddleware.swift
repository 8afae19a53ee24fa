import APIClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Turns what a page could not do into a page that says so: a record of another marketplace (or none) is
/// "not found", a key the API no longer accepts ends the session, the API being down is said plainly — never a
/// stack trace or raw JSON.
struct ConsoleErrorMiddleware: RouterMiddleware {
    typealias Context = ConsoleContext
    let views: Views

    func handle(_ request: Request, context: ConsoleContext, next: (Request, ConsoleContext) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return try notFound(context)
        } catch {
            guard let refusal = APIRefusal(error) else {
                if error is HTTPError { throw error }
                context.logger.error("page failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
                return try views.message(
                    status: .badGateway, title: "Switchyard cannot be reached",
                    text: "The console could not reach Switchyard's API just now. Nothing was changed; try again in a "
                        + "moment.",
                    context: context)
            }
            switch refusal.status {
            case 404:
                return try notFound(context)
            case 401:
                var response = Redirect.to(
                    "/sign-in", notice: .error("Your API key is no longer accepted; sign in again."))
                response.setCookie(SignInRoutes.endedSession)
                return response
            default:
                return try views.message(
                    status: refusal.status >= 500 ? .badGateway : .badRequest,
                    title: refusal.status >= 500 ? "Switchyard could not do that just now" : "That did not work",
                    text: refusal.sentence, context: context)
            }
        }
    }

    private func notFound(_ context: ConsoleContext) throws -> Response {
        try views.message(
            status: .notFound, title: "Not found",
            text: "There is nothing here, or it belongs to another marketplace, or it was deleted.",
            context: context, link: ("/integrations", "Back to Integration Setup"))
    }
}
