import AMQP

/// The checks every process's `/health` runs on its dependencies.
public enum HealthChecks {
    /// nil while the monitor's probes are answered (it never waits on the database itself).
    public static func database(_ monitor: DatabaseMonitor) -> String? {
        monitor.isUp ? nil : "PostgreSQL is not answering"
    }

    /// nil while every connection is connected and not blocked by RabbitMQ; otherwise why not.
    public static func broker(_ connections: AMQPConnection...) -> String? {
        for connection in connections {
            guard connection.isConnected else { return "not connected to RabbitMQ" }
            if let reason = connection.blockedReason { return "RabbitMQ blocks publishing (\(reason))" }
        }
        return nil
    }

    /// What every Switchyard process needs to do its work: its broker connection and its database.
    public static func standard(broker connections: BrokerConnections, database monitor: DatabaseMonitor)
        -> [String: HealthCheck]
    {
        ["broker": { broker(connections.consuming, connections.publishing) }, "database": { database(monitor) }]
    }
}
