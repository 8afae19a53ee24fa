import AMQP
import Foundation
import Logging
import Storage

/// What every Switchyard process reads: where the database and the broker are, where its HTTP server listens, and
/// how to log.
public struct CoreSettings: Sendable {
    /// `SWITCHYARD_DATABASE_URL`: the PostgreSQL URL (`postgres://user:password@host:port/database`).
    public var databaseURL: String
    /// `SWITCHYARD_AMQP_URL`: the RabbitMQ URL (`amqp://user:password@host:port/vhost`).
    public var amqpURL: String
    /// Prefix of every exchange and queue name, so several installations (or test runs) can share a broker.
    public var amqpPrefix: String
    /// `SWITCHYARD_HTTP_HOST`: the address the HTTP server listens on; `127.0.0.1` by default.
    public var httpHost: String
    /// `SWITCHYARD_HTTP_PORT`: the port the HTTP server listens on (a connector worker's serves `/health` and
    /// `/metrics`); the service's own port (`defaultHTTPPort`: gateway 8080, log service 8081, matcher 8082, webhook
    /// worker 8083, Mailchimp worker 8084, iContact worker 8085, console 8090) by default, `0` for any free port.
    public var httpPort: Int
    /// `SWITCHYARD_LOG_LEVEL`: the lowest level logged; `info` by default.
    public var logLevel: Logger.Level
    /// How long a claim on a message protects the process that took it (`ClaimLedger`): longer than any one
    /// attempt takes. Another process takes over a claim only after it ran out, so this is also how long work of a
    /// crashed process waits before another performs it.
    public var claimLease: Duration
    /// The variables the TLS settings of the broker connection are read from.
    let environment: [String: String]

    /// Reads the settings, with defaults for a broker and a database on this machine and `defaultHTTPPort`, the
    /// service's own port, for `httpPort`; throws for a value that is present but unusable.
    public init(_ settings: Settings = Settings(), defaultHTTPPort: Int) throws(SettingsError) {
        databaseURL = settings.string(
            "SWITCHYARD_DATABASE_URL", default: "postgres://switchyard:switchyard@127.0.0.1:5432/switchyard")
        amqpURL = settings.string("SWITCHYARD_AMQP_URL", default: "amqp://guest:guest@127.0.0.1:5672/%2f")
        amqpPrefix = settings.string("SWITCHYARD_AMQP_PREFIX", default: "switchyard")
        httpHost = settings.string("SWITCHYARD_HTTP_HOST", default: "127.0.0.1")
        httpPort = try settings.int("SWITCHYARD_HTTP_PORT", default: defaultHTTPPort, in: 0...65535)
        let level = settings.string("SWITCHYARD_LOG_LEVEL", default: "info")
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw SettingsError(
                key: "SWITCHYARD_LOG_LEVEL",
                message: "must be one of trace, debug, info, notice, warning, error, critical")
        }
        self.logLevel = logLevel
        claimLease = try settings.positiveDuration("SWITCHYARD_CLAIM_LEASE", default: .seconds(60))
        environment = settings.values
    }

    /// A name for this process instance, unique across restarts and machines: who holds a claim.
    public static func instanceName(_ processName: String) -> String {
        "\(processName)-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-"
            + Identifier.randomToken(bytes: 4)
    }

    /// The database configuration `databaseURL` describes, with at most `maximumConnections` per process.
    public func databaseConfiguration(maximumConnections: Int = 20) throws -> DatabaseConfiguration {
        try DatabaseConfiguration(url: databaseURL, maximumConnections: maximumConnections)
    }

    /// The broker connection's configuration: the URL, and TLS from `SWITCHYARD_AMQP_CA_FILE`, …
    public func amqpConfiguration(connectionName: String) throws -> AMQPConfiguration {
        var configuration = try AMQPConfiguration(url: amqpURL, connectionName: connectionName)
        try configuration.applyTLSEnvironment(environment)
        return configuration
    }

    /// A process's two broker connections: one that consumes (and acks), one that publishes. When RabbitMQ runs
    /// low on memory or disk it blocks connections that publish; a consuming connection of its own keeps acking
    /// meanwhile (RabbitMQ's advice), so deliveries are not held hostage by publishes that cannot go out.
    public func brokerConnections(processName: String, topology: AMQPTopology, logger: Logger) throws
        -> BrokerConnections
    {
        BrokerConnections(
            consuming: AMQPConnection(
                configuration: try amqpConfiguration(connectionName: "\(processName) (consuming)"),
                topology: topology, logger: logger),
            publishing: AMQPConnection(
                configuration: try amqpConfiguration(connectionName: "\(processName) (publishing)"),
                topology: topology, logger: logger))
    }
}

/// A process's consuming and publishing connections to the broker (`CoreSettings.brokerConnections`).
public struct BrokerConnections: Sendable {
    /// The connection that consumes and acknowledges.
    public let consuming: AMQPConnection
    /// The connection that publishes (and that RabbitMQ may block).
    public let publishing: AMQPConnection

    /// Both, for the service group (they run and shut down with the process).
    public var services: [AMQPConnection] { [consuming, publishing] }
}
