import Foundation
import NIOSSL
import PostgresNIO

/// Where the database is, read from a `postgres://user:password@host:port/database` URL.
public struct DatabaseConfiguration: Sendable {
    /// libpq's `sslmode`, as in the URL's `?sslmode=`.
    public enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP (the default here: the database is expected on a private network).
        case disable
        /// TLS when the server offers it, without verifying its certificate.
        case prefer
        /// TLS or no connection; the certificate is not verified (unless `sslrootcert` is given, as with libpq,
        /// which then verifies it like `verify-ca`).
        case require
        /// TLS with a certificate that chains to `sslrootcert` (or the system's CAs), any host name.
        case verifyCA = "verify-ca"
        /// TLS with a certificate that chains to `sslrootcert` (or the system's CAs) and names the host (or its
        /// IP address) connected to. What managed databases should be reached with.
        case verifyFull = "verify-full"
    }

    /// The server's host name or IP address.
    public var host: String
    /// The server's TCP port; 5432 unless the URL names one.
    public var port: Int
    /// The user to connect as; `postgres` unless the URL names one.
    public var username: String
    /// The user's password; nil when the URL has none.
    public var password: String?
    /// The database to use; the user name when the URL has no path.
    public var database: String
    /// Connections per process; PostgreSQL flushes the WAL of concurrent commits together, so a few
    /// connections carry thousands of small transactions per second.
    public var maximumConnections: Int
    /// How TLS is used; `disable` unless the URL says `?sslmode=`.
    public var sslMode: SSLMode
    /// PEM file of the CAs that verify the server (`?sslrootcert=`); nil trusts the system's CAs.
    public var sslRootCertificateFile: String?

    /// Parses the URL; `sslmode` (`disable`, `prefer`, `require`, `verify-ca`, `verify-full`) and `sslrootcert`
    /// come from its query, other query parameters are ignored. An unknown mode or an unreadable root
    /// certificate file throws `.invalidConfiguration`.
    public init(url: String, maximumConnections: Int = 20) throws(StorageError) {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme),
            let host = components.host, !host.isEmpty
        else {
            throw StorageError(
                code: .invalidConfiguration,
                message: "the database URL must look like postgres://user:password@host:5432/database")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = components.user?.removingPercentEncoding ?? "postgres"
        self.password = components.password?.removingPercentEncoding
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.database = path.isEmpty ? self.username : (path.removingPercentEncoding ?? path)
        self.maximumConnections = maximumConnections
        let query = components.queryItems ?? []
        let modeText = query.last { $0.name == "sslmode" }?.value ?? "disable"
        guard let mode = SSLMode(rawValue: modeText) else {
            let modes = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
            throw StorageError(code: .invalidConfiguration, message: "sslmode must be one of \(modes)")
        }
        self.sslMode = mode
        self.sslRootCertificateFile = query.last { $0.name == "sslrootcert" }?.value.flatMap { $0.isEmpty ? nil : $0 }
        if let file = sslRootCertificateFile, !FileManager.default.isReadableFile(atPath: file) {
            throw StorageError(code: .invalidConfiguration, message: "sslrootcert \(file) is not a readable file")
        }
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
        var query: [URLQueryItem] = []
        if sslMode != .disable { query.append(URLQueryItem(name: "sslmode", value: sslMode.rawValue)) }
        if let file = sslRootCertificateFile { query.append(URLQueryItem(name: "sslrootcert", value: file)) }
        if !query.isEmpty { components.queryItems = query }
        return components.string ?? ""
    }

    /// The NIOSSL client configuration `sslMode` asks for; nil for `disable`.
    public var tlsConfiguration: TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        let rootFile = sslRootCertificateFile
        switch sslMode {
        case .disable:
            return nil
        case .prefer, .require:
            tls.certificateVerification = rootFile == nil || sslMode == .prefer ? .none : .noHostnameVerification
        case .verifyCA:
            tls.certificateVerification = .noHostnameVerification
        case .verifyFull:
            tls.certificateVerification = .fullVerification
        }
        if let rootFile { tls.trustRoots = .file(rootFile) }
        return tls
    }

    /// A single connection's configuration (migrations run over one connection before the pool starts).
    /// Throws `.invalidConfiguration` when the TLS context cannot be made (e.g. `sslrootcert` is not PEM).
    public var connectionConfiguration: PostgresConnection.Configuration {
        get throws(StorageError) {
            let tls: PostgresConnection.Configuration.TLS
            if let configuration = tlsConfiguration {
                let context: NIOSSLContext
                do {
                    context = try NIOSSLContext(configuration: configuration)
                } catch {
                    throw StorageError(
                        code: .invalidConfiguration,
                        message: "cannot set up TLS for the database (sslrootcert?)", underlying: error)
                }
                tls = sslMode == .prefer ? .prefer(context) : .require(context)
            } else {
                tls = .disable
            }
            return PostgresConnection.Configuration(
                host: host, port: port, username: username, password: password, database: database, tls: tls)
        }
    }

    /// The PostgresNIO client configuration, with TLS as `sslMode` says.
    public var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch (sslMode, tlsConfiguration) {
        case (.prefer, let configuration?): tls = .prefer(configuration)
        case (_, let configuration?): tls = .require(configuration)
        case (_, nil): tls = .disable
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 1
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}
