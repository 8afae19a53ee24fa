import AMQP
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import Storage

/// What the per-service test targets share: the real test servers `deploy/local/test` starts, a fresh database per
/// test and the environment a service is configured with, so each test builds its service with the build function
/// the executable uses.
public enum ServiceTestSupport {
    /// The test PostgreSQL's admin URL (`SWITCHYARD_TEST_DATABASE_URL`).
    public static var databaseURL: String? { ProcessInfo.processInfo.environment["SWITCHYARD_TEST_DATABASE_URL"] }
    /// The test RabbitMQ's URL (`SWITCHYARD_TEST_AMQP_URL`).
    public static var amqpURL: String? { ProcessInfo.processInfo.environment["SWITCHYARD_TEST_AMQP_URL"] }
    /// Whether both test servers are there.
    public static var isAvailable: Bool { databaseURL != nil && amqpURL != nil }

    /// The environment of a service on a database of its own and broker names of its own (`SWITCHYARD_AMQP_PREFIX`),
    /// with an HTTP port chosen by the system; `extra` overrides.
    public static func environment(_ extra: [String: String] = [:]) async throws -> [String: String] {
        guard let databaseURL, let amqpURL else { throw SupportError("the test servers are not configured") }
        let id = Identifier.random(prefix: "u").replacingOccurrences(of: "_", with: "")
        let database = "switchyard_\(id)"
        let configuration = try DatabaseConfiguration(url: databaseURL)
        let client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(database)"))
        }
        var values = [
            "SWITCHYARD_DATABASE_URL": configuration.url(database: database),
            "SWITCHYARD_AMQP_URL": amqpURL,
            "SWITCHYARD_AMQP_PREFIX": "sy\(id)",
            "SWITCHYARD_ENCRYPTION_KEY": CredentialCipher.generateKey(),
            "SWITCHYARD_ADMIN_TOKEN": "admin-\(id)",
            "SWITCHYARD_HTTP_PORT": "0",
            "SWITCHYARD_LOG_LEVEL": "warning",
        ]
        values.merge(extra) { $1 }
        return values
    }

    /// Runs `body` with a client of its own on the database at `url`.
    public static func withDatabase<T: Sendable>(
        _ url: String, _ body: @Sendable (PostgresClient) async throws -> T
    ) async throws -> T {
        let configuration = try DatabaseConfiguration(url: url)
        let client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// Runs `body` with a connection of its own to the test broker (declaring nothing).
    public static func withBroker<T: Sendable>(_ body: @Sendable (AMQPConnection) async throws -> T) async throws -> T {
        guard let amqpURL else { throw SupportError("the test broker is not configured") }
        let connection = AMQPConnection(
            configuration: try AMQPConfiguration(url: amqpURL, connectionName: "switchyard-service-test"),
            topology: AMQPTopology(), logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await connection.run()
                return nil
            }
            defer { group.cancelAll() }
            guard await connection.waitUntilConnected(timeout: .seconds(10)) else {
                throw SupportError("could not connect to the test broker")
            }
            return try await body(connection)
        }
    }

    /// The first message on `queue` for which `matches` holds (acknowledging what it reads), within `timeout`.
    public static func firstMessage(
        on queue: String, timeout: Duration = .seconds(10), where matches: @escaping @Sendable (AMQPMessage) -> Bool
    ) async throws -> AMQPMessage? {
        try await withBroker { connection in
            let consumer = connection.consume(queue: queue, prefetch: 50)
            defer { consumer.cancel() }
            return await withTaskGroup(of: AMQPMessage?.self) { group in
                group.addTask {
                    for await delivery in consumer {
                        delivery.ack()
                        if matches(delivery.message) { return delivery.message }
                    }
                    return nil
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    consumer.cancel()
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
        }
    }

    /// Waits until the service's `/health` answers 200: its broker topology is declared and its database is there.
    public static func waitUntilHealthy(_ client: some TestClientProtocol, timeout: Duration = .seconds(30))
        async throws
    {
        let deadline = ContinuousClock.now + timeout
        while try await client.execute(uri: "/health", method: .get).status != .ok {
            guard ContinuousClock.now < deadline else { throw SupportError("/health did not answer 200") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A logger for test plumbing.
    public static let logger = Logger(label: "switchyard.test")

    /// The operations of the OpenAPI document (`GET /openapi.json` as served), as `METHOD /path/{param}`.
    public static func documentedOperations(at url: URL?) throws -> Set<String> {
        guard let url else { throw SupportError("the API module's resource bundle has no openapi.json") }
        let paths = try JSONDecoder().decode(OpenAPIPaths.self, from: Data(contentsOf: url)).paths
        let methods = ["get", "put", "post", "delete", "patch", "head", "options"]
        return Set(
            paths.flatMap { path, item in
                item.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
            })
    }

    /// The part of an OpenAPI document the route comparison reads: each path's keys (methods, `parameters`).
    private struct OpenAPIPaths: Decodable {
        /// Any JSON value, not looked at.
        struct Skipped: Decodable {
            init(from decoder: any Decoder) throws {}
        }

        var paths: [String: [String: Skipped]]
    }

    /// The routes of a router as `METHOD /path/{param}`.
    public static func routes<Context>(of router: Router<Context>) -> Set<String> {
        Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
    }

    /// How a router's routes and an OpenAPI document's operations differ, both ways, sorted.
    public static func routeDifference<Context>(
        of router: Router<Context>, documentAt url: URL?
    ) throws -> (undocumented: [String], unserved: [String]) {
        let routes = routes(of: router)
        let documented = try documentedOperations(at: url)
        return (routes.subtracting(documented).sorted(), documented.subtracting(routes).sorted())
    }
}

/// A test could not be set up.
public struct SupportError: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
