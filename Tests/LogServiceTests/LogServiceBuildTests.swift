import AMQP
import Foundation
import Hummingbird
import HummingbirdTesting
import LogServiceAPI
import Messages
import Pipeline
import Prometheus
import ServiceRuntime
import ServiceTestSupport
import Storage
import Testing

@testable import LogService

/// The log service built by `buildLogService` — the function its executable runs — against the real test
/// PostgreSQL and RabbitMQ, in this process (issue 11 §4).
@Suite struct LogServiceBuildTests {
    @Test(
        "the log service's routes are exactly the operations of its OpenAPI document (Shared/LogServiceAPI/openapi.json)",
        .enabled(if: ServiceTestSupport.isAvailable, "needs the test servers (deploy/local/test)"))
    func routesMatchTheDocument() async throws {
        let settings = try LogServiceSettings(Settings(try await ServiceTestSupport.environment()))
        let parts = try await makeLogService(
            settings: settings, registry: PrometheusCollectorRegistry(), logger: ServiceTestSupport.logger)
        let difference = try ServiceTestSupport.routeDifference(of: parts.router, documentAt: LogServiceAPIDocument.url)
        #expect(difference.undocumented.isEmpty, "served but not documented: \(difference.undocumented)")
        #expect(difference.unserved.isEmpty, "documented but not served: \(difference.unserved)")
    }

    @Test(
        "an outcome on the queue becomes an entry its marketplace can search and read, and no other marketplace can",
        .enabled(if: ServiceTestSupport.isAvailable, "needs the test servers (deploy/local/test)"))
    func outcomesBecomeEntriesOfTheirMarketplaceOnly() async throws {
        let environment = try await ServiceTestSupport.environment()
        let settings = try LogServiceSettings(Settings(environment))
        let app = try await buildLogService(
            settings: settings, registry: PrometheusCollectorRegistry(), logger: ServiceTestSupport.logger)
        let databaseURL = try #require(environment["SWITCHYARD_DATABASE_URL"])
        let topology = BrokerTopology(prefix: settings.core.amqpPrefix)
        let eventID = "evt_\(UUID().uuidString)"
        try await app.test(.live) { client in
            try await ServiceTestSupport.waitUntilHealthy(client)
            // The build function migrated the database; the marketplaces are made the way the gateway makes them.
            let (owner, other) = try await ServiceTestSupport.withDatabase(databaseURL) { postgres in
                let store = MarketplaceStore(client: postgres, logger: ServiceTestSupport.logger)
                return (try await store.create(name: "Owner"), try await store.create(name: "Other"))
            }
            let outcome = Outcome(
                entryID: "log_\(UUID().uuidString)", marketplaceID: owner.0.id, eventID: eventID,
                trigger: .productPurchased, test: false, customerEmail: "jane@example.com", productID: "p1", rule: nil,
                status: .skipped, reason: "No rule matches.", attemptNumber: 0, attempt: nil, at: Date())
            let publication = try topology.publication(of: outcome)
            try await ServiceTestSupport.withBroker { connection in
                try await connection.publish(
                    publication.message, exchange: publication.exchange, routingKey: publication.routingKey)
            }
            let search = "/v1/logs?event_id=\(eventID)"
            var body = ""
            let deadline = ContinuousClock.now + .seconds(15)
            while ContinuousClock.now < deadline {
                let response = try await client.execute(
                    uri: search, method: .get, headers: [.authorization: "Bearer \(owner.1.plaintext)"])
                #expect(response.status == .ok)
                body = String(buffer: response.body)
                if body.contains(outcome.entryID) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(body.contains(outcome.entryID) && body.contains("No rule matches."), "\(body)")
            let read = try await client.execute(
                uri: "/v1/logs/\(outcome.entryID)", method: .get,
                headers: [.authorization: "Bearer \(owner.1.plaintext)"])
            #expect(read.status == .ok)
            let foreign = try await client.execute(
                uri: "/v1/logs/\(outcome.entryID)", method: .get,
                headers: [.authorization: "Bearer \(other.1.plaintext)"])
            #expect(foreign.status == .notFound)
            let foreignSearch = try await client.execute(
                uri: search, method: .get, headers: [.authorization: "Bearer \(other.1.plaintext)"])
            #expect(!String(buffer: foreignSearch.body).contains(outcome.entryID))
            let anonymous = try await client.execute(uri: search, method: .get)
            #expect(anonymous.status == .unauthorized)
        }
    }
}
