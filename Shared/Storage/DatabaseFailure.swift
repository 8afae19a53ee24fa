import PostgresNIO

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
        if underlying(error) is DeadlineExceeded { return true }
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

/// An operation that did not finish within its deadline (see `withDeadline`): transient, retried.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public var what: String
    public var description: String { "\(what) did not finish in time" }
}

/// Runs `operation`, cancelling it when `duration` passes first (then `DeadlineExceeded` is thrown). For work
/// that must never wait for ever on a peer that went away and came back — a database write whose connection died
/// mid-transaction — so that it is retried on a fresh one instead. The operation must honour cancellation (waiting
/// for a pooled connection does).
public func withDeadline<T: Sendable>(
    _ duration: Duration, what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: duration)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded(what: what) }
        return value
    }
}
