import AMQP

/// The checks every process's `/health` runs on its dependencies.
public enum HealthChecks {
    /// nil while the monitor's probes are answered (it never waits on the database itself).
    public static func database(_ monitor: DatabaseMonitor) -> String? {
        monitor.isUp ? nil : "PostgreSQL is not answering"
    }

    public static func broker(_ connection: AMQPConnection) -> String? {
        connection.isConnected ? nil : "not connected to RabbitMQ"
    }

    /// What every Switchyard process needs to do its work: its broker connection and its database.
    public static func standard(broker connection: AMQPConnection, database monitor: DatabaseMonitor)
        -> [String: HealthCheck]
    {
        ["broker": { broker(connection) }, "database": { database(monitor) }]
    }
}
