import Logging
import PostgresNIO

/// Applies the numbered migrations that are missing, once, under a PostgreSQL advisory lock so that several
/// processes starting together neither race nor apply a migration twice.
public struct Migrator: Sendable {
    /// Arbitrary but fixed: the advisory lock every Switchyard process takes to migrate.
    static let lockKey: Int64 = 0x5357_4954_4348

    let logger: Logger

    /// Creates a migrator that logs what it applies.
    public init(logger: Logger) {
        self.logger = logger
    }

    /// Brings the schema up to date over `connection` and returns the versions it applied.
    @discardableResult
    public func migrate(_ migrations: [Migration] = Migration.all, on connection: PostgresConnection) async throws
        -> [Int]
    {
        try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
        do {
            let applied = try await apply(migrations, on: connection)
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            return applied
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
            throw error
        }
    }

    private func apply(_ migrations: [Migration], on connection: PostgresConnection) async throws -> [Int] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        var done = Set<Int>()
        for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger)
            .decode(Int.self)
        {
            done.insert(version)
        }
        var applied: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) where !done.contains(migration.version) {
            do {
                try await connection.withTransaction(logger: logger) { connection in
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                        logger: logger)
                }
            } catch {
                throw StorageError(
                    code: .migrationFailed,
                    message: "migration \(migration.version) (\(migration.name)) failed: \(String(reflecting: error))",
                    underlying: error)
            }
            logger.info(
                "applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            applied.append(migration.version)
        }
        return applied
    }
}
