import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Storage
import Testing

@Suite("DatabaseConfiguration: URL and sslmode")
struct DatabaseConfigurationTests {
    @Test func plainURLKeepsTLSOff() throws {
        let config = try DatabaseConfiguration(url: "postgres://u:p%40ss@db.internal:6543/app")
        #expect(config.host == "db.internal")
        #expect(config.port == 6543)
        #expect(config.username == "u")
        #expect(config.password == "p@ss")
        #expect(config.database == "app")
        #expect(config.sslMode == .disable)
        #expect(config.tlsConfiguration == nil)
        #expect(config.url(database: "other") == "postgres://u:p%40ss@db.internal:6543/other")
    }

    @Test func modesMapToCertificateVerification() throws {
        let root = try #require(TestDatabase.caFile ?? Bundle.main.executablePath)
        let cases: [(String, DatabaseConfiguration.SSLMode, CertificateVerification)] = [
            ("sslmode=prefer", .prefer, .none),
            ("sslmode=require", .require, .none),
            ("sslmode=require&sslrootcert=\(root)", .require, .noHostnameVerification),
            ("sslmode=verify-ca&sslrootcert=\(root)", .verifyCA, .noHostnameVerification),
            ("sslmode=verify-full", .verifyFull, .fullVerification),
            ("sslmode=verify-full&sslrootcert=\(root)", .verifyFull, .fullVerification),
        ]
        for (query, mode, verification) in cases {
            let config = try DatabaseConfiguration(url: "postgres://u@h/d?\(query)")
            #expect(config.sslMode == mode, "\(query)")
            let tls = try #require(config.tlsConfiguration, "\(query)")
            #expect(tls.certificateVerification == verification, "\(query)")
            #expect(config.sslRootCertificateFile == (query.contains("sslrootcert") ? root : nil))
        }
        // Databases made from this one (tests create one per run) keep the TLS settings.
        let verified = try DatabaseConfiguration(url: "postgres://u@h/d?sslmode=verify-full&sslrootcert=\(root)")
        let other = try DatabaseConfiguration(url: verified.url(database: "other"))
        #expect(other.database == "other")
        #expect(other.sslMode == .verifyFull)
        #expect(other.sslRootCertificateFile == root)
    }

    @Test(arguments: [
        "postgres://u@h/d?sslmode=on", "postgres://u@h/d?sslmode=", "postgres://u@h/d?sslmode=allow",
        "postgres://u@h/d?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
    ])
    func badTLSSettingsAreRejected(url: String) {
        #expect {
            _ = try DatabaseConfiguration(url: url)
        } throws: { error in
            (error as? StorageError)?.code == .invalidConfiguration
        }
    }
}

/// The test PostgreSQL's TLS URL (`ssl = on`, certificate from a throw-away CA) and that CA, from deploy/local/test.
enum TestDatabase {
    static let tlsURL = ProcessInfo.processInfo.environment["SWITCHYARD_TEST_DATABASE_TLS_URL"]
    static let caFile = ProcessInfo.processInfo.environment["SWITCHYARD_TEST_TLS_CA_FILE"]
    static var hasTLS: Bool { tlsURL != nil && caFile != nil }
    static let logger = Logger(label: "storage-tests")

    /// The TLS URL with another host and query (`sslmode=…&sslrootcert=…`).
    static func url(host: String, query: String) throws -> String {
        var components = try #require(URLComponents(string: tlsURL ?? ""))
        components.host = host
        components.percentEncodedQuery = query
        return try #require(components.string)
    }

    /// Whether the session of a fresh connection made with `config` is encrypted.
    static func sessionUsesTLS(_ config: DatabaseConfiguration) async throws -> Bool {
        let connection = try await PostgresConnection.connect(
            configuration: try config.connectionConfiguration, id: 1, logger: logger)
        do {
            let rows = try await connection.query(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", logger: logger)
            var encrypted = false
            for try await ssl in rows.decode(Bool.self) { encrypted = ssl }
            try await connection.close()
            return encrypted
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

@Suite(
    "DatabaseConfiguration against the test PostgreSQL with TLS", .serialized,
    .enabled(if: TestDatabase.hasTLS, "SWITCHYARD_TEST_DATABASE_TLS_URL / _TLS_CA_FILE are not set; skipping"))
struct DatabaseTLSTests {
    @Test func verifyFullConnectsByNameAndByAddressWithTheTestCA() async throws {
        let ca = try #require(TestDatabase.caFile)
        for host in ["localhost", "127.0.0.1"] {
            let config = try DatabaseConfiguration(
                url: TestDatabase.url(host: host, query: "sslmode=verify-full&sslrootcert=\(ca)"))
            #expect(try await TestDatabase.sessionUsesTLS(config), "\(host)")
        }
    }

    @Test func thePoolUsesTLSToo() async throws {
        let config = try DatabaseConfiguration(url: try #require(TestDatabase.tlsURL))
        #expect(config.sslMode == .verifyFull)
        let client = PostgresClient(configuration: config.clientConfiguration, backgroundLogger: TestDatabase.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            let rows = try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            var encrypted = false
            for try await ssl in rows.decode(Bool.self) { encrypted = ssl }
            #expect(encrypted)
            group.cancelAll()
        }
    }

    @Test func verifyFullRefusesAServerTheCADidNotSign() async throws {
        // The system's CAs did not sign the test server's certificate: no connection, not a silent fallback.
        let config = try DatabaseConfiguration(url: TestDatabase.url(host: "localhost", query: "sslmode=verify-full"))
        await #expect(throws: (any Error).self) { _ = try await TestDatabase.sessionUsesTLS(config) }
    }

    @Test func requireEncryptsWithoutVerifyingAndDisableDoesNot() async throws {
        let required = try DatabaseConfiguration(url: TestDatabase.url(host: "127.0.0.1", query: "sslmode=require"))
        #expect(try await TestDatabase.sessionUsesTLS(required))
        let plain = try DatabaseConfiguration(url: TestDatabase.url(host: "127.0.0.1", query: "sslmode=disable"))
        #expect(try await !TestDatabase.sessionUsesTLS(plain))
    }
}
