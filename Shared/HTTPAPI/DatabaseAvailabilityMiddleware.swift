import Hummingbird
import ServiceRuntime
import Storage

/// Answers `503` with `Retry-After` at once for requests that need the database while it is down, and for one
/// whose database call fails because it went away meanwhile (instead of a `500` or a wait): the client retries,
/// nothing half-done is left behind. Operational routes (`/health`, `/metrics`, `/openapi.json`) are not affected.
public struct DatabaseAvailabilityMiddleware<Context: RequestContext>: RouterMiddleware {
    let monitor: DatabaseMonitor

    /// Creates the middleware around the monitor that tells whether the database answers.
    public init(monitor: DatabaseMonitor) {
        self.monitor = monitor
    }

    /// Passes a `/v1/` or `/admin/` request on while the database answers, and answers `503` when it does not or
    /// stops answering before the request is done. Other paths pass untouched.
    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let path = request.uri.path
        guard path.hasPrefix("/v1/") || path.hasPrefix("/admin/") else { return try await next(request, context) }
        guard monitor.isUp else { throw Self.unavailable }
        do {
            // A request in flight when the database goes away is cancelled (its wait for a connection ends with
            // the cancellation) and answered 503, rather than left waiting for the database's return.
            return try await withoutActuallyEscaping(next) { next in
                nonisolated(unsafe) let next = next
                return try await withThrowingTaskGroup(of: Response?.self) { group in
                    group.addTask { try await next(request, context) }
                    group.addTask {
                        await monitor.waitUntilDown()
                        return nil
                    }
                    defer { group.cancelAll() }
                    guard let first = try await group.next(), let response = first else { throw Self.unavailable }
                    return response
                }
            }
        } catch let error as any HTTPResponseError {
            throw error
        } catch  where DatabaseFailure.isTransient(error) || error is CancellationError {
            throw Self.unavailable
        }
    }

    static var unavailable: APIError {
        APIError(
            .serviceUnavailable, code: "database_unavailable",
            message: "the database is unavailable; nothing was changed, retry in a moment", headers: [.retryAfter: "2"])
    }
}
