import Logging
import PostgresNIO

extension PostgresClient {
    /// Executes a prepared statement whose rows, if any, do not matter.
    func run<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws
    where Statement.Row == Void {
        // Draining the result is what returns the connection to the pool.
        for try await _ in try await execute(statement, logger: logger) {}
    }
}

extension PostgresConnection {
    /// Executes a prepared statement whose rows, if any, do not matter (inside a transaction).
    func run<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws
    where Statement.Row == Void {
        // Not the overload returning the command tag: that one traps when the statement returns rows.
        for try await _ in try await execute(statement, logger: logger) {}
    }
}
