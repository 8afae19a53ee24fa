import PostgresNIO
import _ConnectionPoolModule

/// Tells a database failure that will pass (the server is away, restarting, overloaded, the connection broke)
/// from one that will happen again for the same data (a value PostgreSQL refuses, a broken constraint).
/// Decided by PostgresNIO's error code and the server's SQLSTATE, never by the message's text.
public enum DatabaseFailure {
    /// SQLSTATE class 22 (data exception: a NUL in text, an invalid escape) or 23 (integrity constraint
    /// violation): the same statement with the same values fails again.
    public static func isDataError(_ error: any Error) -> Bool {
        guard let error = underlying(error) as? PSQLError, error.code == .server,
            let state = error.serverInfo?[.sqlState]
        else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23")
    }

    /// The error that made a transaction fail (`withTransaction` wraps it), or the error itself.
    public static func underlying(_ error: any Error) -> any Error {
        guard let transaction = error as? PostgresTransactionError else { return error }
        return transaction.closureError ?? transaction.beginError ?? transaction.commitError
            ?? transaction.rollbackError ?? error
    }

    /// A failure of the database as a service rather than of the request: retrying later may succeed.
    public static func isTransient(_ error: any Error) -> Bool {
        switch underlying(error) {
        case is DatabaseTimeout:
            return true
        case let error as ConnectionPoolError:
            // The pool could not connect for a while (its circuit breaker is open) and fails requests at once.
            return error == .connectionCreationCircuitBreakerTripped
        default:
            break
        }
        guard let error = underlying(error) as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
            .queryCancelled, .sslUnsupported, .failedToAddSSLHandler:
            return true
        case .server:
            // 08 connection exception, 40 transaction rollback (serialisation, deadlock), 53 insufficient
            // resources, 55 object not in prerequisite state (lock not available), 57 operator intervention
            // (shutdown, cannot connect now), 58 system error.
            let state = error.serverInfo?[.sqlState] ?? ""
            return ["08", "40", "53", "55", "57", "58"].contains(String(state.prefix(2)))
        default:
            return false
        }
    }
}

extension Duration {
    /// Seconds with their fraction, for `make_interval(secs => …)`.
    var secondsForSQL: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
