import Foundation
import PostgresNIO

/// Where the database is, read from a `postgres://user:password@host:port/database` URL.
public struct DatabaseConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// Connections per process; PostgreSQL flushes the WAL of concurrent commits together, so a few
    /// connections carry thousands of small transactions per second.
    public var maximumConnections: Int

    public init(url: String, maximumConnections: Int = 20) throws(StorageError) {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme),
              let host = components.host, !host.isEmpty
        else {
            throw StorageError(code: .invalidConfiguration, message: "the database URL must look like postgres://user:password@host:5432/database")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.user?.removingPercentEncoding ?? "postgres"
        self.password = components.password?.removingPercentEncoding
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.database = path.isEmpty ? self.username : (path.removingPercentEncoding ?? path)
        self.maximumConnections = maximumConnections
    }

    /// The URL of another database on the same server (tests create one per run).
    public func url(database: String) -> String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password
        components.host = host
        components.port = port
        components.path = "/" + database
        return components.string ?? ""
    }

    /// A single connection's configuration (migrations run over one connection before the pool starts).
    public var connectionConfiguration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: .disable)
    }

    /// The PostgresNIO client configuration. TLS is off: the database is expected on a private network.
    public var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: .disable
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 1
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}
