import Foundation
import Logging
import PostgresNIO
import Storage

/// Direct access to the stack's database, for what the API cannot do without a connector worker: seeding
/// catalogs, app integrations and OAuth states.
extension TestStack {
    /// Runs `body` with a client of the stack's database.
    func withDatabase<T: Sendable>(_ body: (PostgresClient, Logger) async throws -> T) async throws -> T {
        guard let url = gateway.environment["SWITCHYARD_DATABASE_URL"] else {
            throw HarnessError("the gateway has no SWITCHYARD_DATABASE_URL")
        }
        let logger = Logger(label: "test")
        let client = PostgresClient(
            configuration: try DatabaseConfiguration(url: url).clientConfiguration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client, logger)
        }
    }

    func withCatalog<T: Sendable>(_ body: (CatalogStore) async throws -> T) async throws -> T {
        try await withDatabase { client, logger in try await body(CatalogStore(client: client, logger: logger)) }
    }

    /// An integration stored as a worker's verify would store it, with the gateway's encryption key; its id.
    func seedIntegration(
        marketplaceID: String, connector: String = "mailchimp", label: String,
        credentials: [String: String] = ["api_key": "0123456789abcdef0123456789abcdef-us6"]
    ) async throws -> String {
        guard let key = gateway.environment["SWITCHYARD_ENCRYPTION_KEY"] else {
            throw HarnessError("the gateway has no SWITCHYARD_ENCRYPTION_KEY")
        }
        let cipher = try CredentialCipher(base64Key: key)
        return try await withDatabase { client, logger in
            try await IntegrationStore(client: client, cipher: cipher, logger: logger).create(
                marketplaceID: marketplaceID, connector: connector, label: label, credentials: credentials,
                account: "Seeded account"
            ).id
        }
    }
}
