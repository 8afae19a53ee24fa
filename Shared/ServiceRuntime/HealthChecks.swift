import AMQP
import PostgresNIO

/// The checks every process's `/health` runs on its dependencies.
public enum HealthChecks {
    /// nil when a trivial query succeeds.
    public static func database(_ client: PostgresClient) async -> String? {
        do {
            try await client.query("SELECT 1")
            return nil
        } catch {
            return "PostgreSQL is not answering"
        }
    }

    public static func broker(_ connection: AMQPConnection) -> String? {
        connection.isConnected ? nil : "not connected to RabbitMQ"
    }

    /// What every Switchyard process needs to do its work: its broker connection and its database.
    public static func standard(broker connection: AMQPConnection, database client: PostgresClient) -> [String: HealthCheck] {
        ["broker": { broker(connection) }, "database": { await database(client) }]
    }
}
