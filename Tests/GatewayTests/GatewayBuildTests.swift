import AMQP
import APIClient
import Foundation
import GatewayAPI
import Hummingbird
import HummingbirdTesting
import Logging
import Messages
import Pipeline
import Prometheus
import ServiceRuntime
import ServiceTestSupport
import Testing

@testable import Gateway

/// The gateway built by `buildGateway` — the function its executable runs — against the real test PostgreSQL and
/// RabbitMQ, in this process (issue 11 §4). What needs processes (kill -9, restarts) stays in IntegrationTests.
@Suite struct GatewayBuildTests {
    static func settings() async throws -> GatewaySettings {
        try GatewaySettings(Settings(try await ServiceTestSupport.environment()))
    }

    @Test(
        "the gateway's routes are exactly the operations of its OpenAPI document (Shared/GatewayAPI/openapi.json)",
        .enabled(if: ServiceTestSupport.isAvailable, "needs the test servers (deploy/local/test)"))
    func routesMatchTheDocument() async throws {
        let parts = try await makeGateway(
            settings: try await Self.settings(), registry: PrometheusCollectorRegistry(),
            logger: ServiceTestSupport.logger)
        let difference = try ServiceTestSupport.routeDifference(of: parts.router, documentAt: GatewayAPIDocument.url)
        #expect(difference.undocumented.isEmpty, "served but not documented: \(difference.undocumented)")
        #expect(difference.unserved.isEmpty, "documented but not served: \(difference.unserved)")
    }

    @Test(
        "an event is refused without a key, accepted once with one and put on the triggers queue, then a duplicate",
        .enabled(if: ServiceTestSupport.isAvailable, "needs the test servers (deploy/local/test)"))
    func eventsAreAcceptedOnce() async throws {
        let settings = try await Self.settings()
        let app = try await buildGateway(
            settings: settings, registry: PrometheusCollectorRegistry(), logger: ServiceTestSupport.logger)
        let topology = BrokerTopology(prefix: settings.core.amqpPrefix)
        let eventID = "evt_\(UUID().uuidString)"
        let event =
            #"{"id":"\#(eventID)","type":"product.purchased","customer":{"email":"jane@example.com"},"product":{"id":"p1"}}"#
        let marketplaceID = try await app.test(.live) { client -> String in
            try await ServiceTestSupport.waitUntilHealthy(client)
            let refused = try await client.execute(uri: "/v1/events", method: .post, body: ByteBuffer(string: event))
            #expect(refused.status == .unauthorized)
            let created = try await client.execute(
                uri: "/admin/v1/marketplaces", method: .post,
                headers: [.authorization: "Bearer \(settings.adminToken ?? "")", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"name":"Build test"}"#))
            #expect(created.status == .created)
            let marketplace = try SwitchyardClient.decoder().decode(
                Components.Schemas.MarketplaceCreated.self, from: Data(buffer: created.body))
            let key = marketplace.apiKey
            let headers: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
            let invalid = try await client.execute(
                uri: "/v1/events", method: .post, headers: headers, body: ByteBuffer(string: #"{"id":"e"}"#))
            #expect(invalid.status == .badRequest)
            for expected in ["accepted", "duplicate"] {
                let response = try await client.execute(
                    uri: "/v1/events", method: .post, headers: headers, body: ByteBuffer(string: event))
                #expect(response.status == .accepted)
                #expect(
                    String(buffer: response.body).contains(#""status":"\#(expected)""#),
                    "\(String(buffer: response.body))")
            }
            return marketplace.id
        }
        let message = try await ServiceTestSupport.firstMessage(on: topology.triggersQueue) { message in
            message.messageID == TriggerMessage.messageID(marketplaceID: marketplaceID, eventID: eventID)
        }
        let trigger = try MessageCoding.decode(TriggerMessage.self, from: try #require(message).body)
        #expect(trigger.event.id == eventID && trigger.marketplaceID == marketplaceID)
        #expect(message?.type == TriggerMessage.contract)
    }
}
