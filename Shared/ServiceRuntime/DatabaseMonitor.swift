import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle
import Storage
import Synchronization

/// Knows, within about a second, whether PostgreSQL answers: every second it opens a connection of its own (one
/// second to connect) and asks `SELECT 1`. The HTTP edge uses it to answer `503` at once during an outage instead
/// of waiting on a connection pool for a database that is not there, and `/health` reports it without waiting
/// either. It never touches the process's pool, so its probes cannot disturb the requests waiting there.
public final class DatabaseMonitor: Service, Sendable {
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    let interval: Duration
    let timeout: Duration
    private let state = Mutex<State>(State())

    struct State {
        var up = true
    }

    public init(
        database: DatabaseConfiguration, logger: Logger, interval: Duration = .seconds(1),
        timeout: Duration = .seconds(1)
    ) throws {
        var configuration = try database.connectionConfiguration
        configuration.options.connectTimeout = .init(timeout)
        self.configuration = configuration
        self.logger = logger
        self.interval = interval
        self.timeout = timeout
    }

    /// Whether the last probe was answered (true until the first one says otherwise).
    public var isUp: Bool { state.withLock { $0.up } }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            let up = await probe()
            record(up)
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
    }

    private func record(_ up: Bool) {
        let changed = state.withLock { state -> Bool in
            defer { state.up = up }
            return state.up != up
        }
        if changed {
            if up { logger.notice("PostgreSQL answers again") } else { logger.error("PostgreSQL does not answer") }
        }
    }

    /// One `SELECT 1` over a fresh connection, which may take `timeout` to connect.
    private func probe() async -> Bool {
        guard
            let connection = try? await PostgresConnection.connect(
                configuration: configuration, id: 0, logger: logger)
        else { return false }
        let answered = (try? await connection.query("SELECT 1", logger: logger)) != nil
        try? await connection.close()
        return answered
    }
}

/// Answers `503` with `Retry-After` at once for requests that need the database while it is down, and for one
/// whose database call fails because it went away meanwhile (instead of a `500`): the client retries, nothing
/// half-done is left behind. Operational routes (`/health`, `/metrics`, `/openapi.json`) are not affected.
public struct DatabaseAvailabilityMiddleware<Context: RequestContext>: RouterMiddleware {
    let monitor: DatabaseMonitor

    public init(monitor: DatabaseMonitor) {
        self.monitor = monitor
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let path = request.uri.path
        guard path.hasPrefix("/v1/") || path.hasPrefix("/admin/") else { return try await next(request, context) }
        guard monitor.isUp else { throw Self.unavailable }
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            throw error
        } catch where DatabaseFailure.isTransient(error) {
            throw Self.unavailable
        }
    }

    static var unavailable: APIError {
        APIError(
            .serviceUnavailable, code: "database_unavailable",
            message: "the database is unavailable; nothing was changed, retry in a moment", headers: [.retryAfter: "2"])
    }
}
