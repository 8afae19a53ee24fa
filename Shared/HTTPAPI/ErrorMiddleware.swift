import Hummingbird
import Logging

/// Turns an unexpected error into a JSON 500 and logs it with the request, so a failure is never silent.
/// API errors (`HTTPResponseError`) pass through untouched; the message never includes the error's text,
/// which may name internals.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    /// Creates the middleware, which logs failures with `logger`.
    public init(logger: Logger) {
        self.logger = logger
    }

    /// Passes the request on; an error that is not an `HTTPResponseError` is logged and answered `500 internal_error`.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            logger.error(
                "request failed",
                metadata: [
                    "method": "\(request.method)", "path": "\(request.uri.path)",
                    "error": "\(String(reflecting: error))",
                ])
            throw APIError(
                .internalServerError, code: "internal_error",
                message: "the request failed on our side; it is logged, and retrying may help")
        }
    }
}
