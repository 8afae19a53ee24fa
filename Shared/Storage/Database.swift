import Logging
import PostgresNIO

/// Start-up steps that need the database before a process's services run.
public enum Database {
    /// Applies missing migrations over one short-lived connection, retrying while the database is not reachable
    /// yet (processes and the database often start together, and a database may be down for a while): by default
    /// for as long as it takes, so a process started during an outage waits for it rather than exiting into a
    /// crash loop. `attempts` bounds the tries (tests, tools).
    public static func migrate(_ configuration: DatabaseConfiguration, logger: Logger, attempts: Int? = nil)
        async throws
    {
        var attempt = 1
        var pause = Duration.seconds(1)
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
                if let attempts, attempt >= attempts { throw error }
                if attempt == 1 || attempt % 10 == 0 {
                    logger.warning(
                        "database not reachable yet; retrying",
                        metadata: ["attempt": "\(attempt)", "error": "\(String(reflecting: error))"])
                }
                attempt += 1
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            }
        }
    }
}
