import Logging
import PostgresNIO

/// Start-up steps that need the database before a process's services run.
public enum Database {
    /// Applies missing migrations over one short-lived connection, retrying while the database is not reachable
    /// yet (processes and the database often start together).
    public static func migrate(_ configuration: DatabaseConfiguration, logger: Logger, attempts: Int = 30) async throws {
        var attempt = 1
        while true {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration.connectionConfiguration, id: 0, logger: logger)
                do {
                    try await Migrator(logger: logger).migrate(on: connection)
                } catch {
                    try? await connection.close()
                    throw error
                }
                try await connection.close()
                return
            } catch let error as StorageError {
                throw error
            } catch {
                guard attempt < attempts else { throw error }
                logger.warning("database not reachable yet; retrying", metadata: ["attempt": "\(attempt)", "error": "\(String(reflecting: error))"])
                attempt += 1
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}
