import AMQP
import Foundation
import Hummingbird
import HummingbirdTesting
import Messages
import Pipeline
import Prometheus
import ServiceRuntime
import ServiceTestSupport
import Storage
import Synchronization
import Testing

@testable import Matcher

/// The matcher built by `buildMatcher` — the function its executable runs — against the real test PostgreSQL and
/// RabbitMQ, in this process (issue 11 §4): a trigger on its queue becomes a command for the rule's connector and a
/// log outcome, an event no rule matches one skipped outcome, and a message of another contract is dead-lettered.
@Suite struct MatcherBuildTests {
    /// A matcher on a database and broker names of its own, the marketplace and webhook integration its rules use.
    struct Fixture {
        let settings: MatcherSettings
        let topology: BrokerTopology
        let databaseURL: String
        let marketplaceID: String
        let integrationID: String

        init() async throws {
            let environment = try await ServiceTestSupport.environment(["SWITCHYARD_HTTP_PORT": "0"])
            settings = try MatcherSettings(Settings(environment))
            topology = BrokerTopology(prefix: settings.core.amqpPrefix)
            databaseURL = try #require(environment["SWITCHYARD_DATABASE_URL"])
            let cipher = try CredentialCipher(base64Key: try #require(environment["SWITCHYARD_ENCRYPTION_KEY"]))
            try await Database.migrate(try DatabaseConfiguration(url: databaseURL), logger: ServiceTestSupport.logger)
            (marketplaceID, integrationID) = try await ServiceTestSupport.withDatabase(databaseURL) { postgres in
                let (marketplace, _) = try await MarketplaceStore(client: postgres, logger: ServiceTestSupport.logger)
                    .create(name: "Matcher test")
                let integration = try await IntegrationStore(
                    client: postgres, cipher: cipher, logger: ServiceTestSupport.logger
                )
                .create(
                    marketplaceID: marketplace.id, connector: "webhook", label: "Orders hook",
                    credentials: ["secret": "whsec_test"], account: nil)
                return (marketplace.id, integration.id)
            }
        }

        /// Saves a global rule on `trigger` that posts to a URL with the webhook integration.
        func saveRule(on trigger: TriggerType) async throws -> String {
            try await ServiceTestSupport.withDatabase(databaseURL) { postgres in
                try await RuleStore(client: postgres, logger: ServiceTestSupport.logger).create(
                    marketplaceID: marketplaceID,
                    .init(
                        scope: .global, productID: nil, trigger: trigger, integrationID: integrationID, action: "post",
                        destination: Destination(kind: .url, name: "https://hooks.example.com/orders"), enabled: true)
                ).id
            }
        }

        /// Publishes a purchase of `p1` by jane@example.com to the triggers, as the gateway does.
        func publishPurchase(id eventID: String) async throws {
            let event = TriggerEvent(
                id: eventID, type: .productPurchased, customer: .init(email: "jane@example.com"),
                product: .init(id: "p1"))
            let body = try MessageCoding.encode(
                TriggerMessage(marketplaceID: marketplaceID, receivedAt: Date(), event: event))
            try await ServiceTestSupport.withBroker { connection in
                try await connection.publish(
                    topology.publication(ofTrigger: body, marketplaceID: marketplaceID, eventID: eventID))
            }
        }

        /// The outcomes of the event on the outcomes queue (no log service runs here), until `count` are seen.
        func outcomes(of eventID: String, count: Int) async throws -> [Outcome] {
            let seen = OutcomeBox()
            _ = try await ServiceTestSupport.firstMessage(on: topology.outcomesQueue, timeout: .seconds(15)) {
                message in
                guard let outcome = try? MessageCoding.decode(Outcome.self, from: message.body),
                    outcome.eventID == eventID
                else { return false }
                return seen.append(outcome) >= count
            }
            return seen.all
        }
    }

    @Test(
        "a purchase a rule matches becomes one command on the rule's connector queue and a pending log outcome",
        .enabled(if: ServiceTestSupport.isAvailable, "needs the test servers (deploy/local/test)"))
    func matchedEventBecomesACommand() async throws {
        let fixture = try await Fixture()
        let ruleID = try await fixture.saveRule(on: .productPurchased)
        let app = try await buildMatcher(
            settings: fixture.settings, registry: PrometheusCollectorRegistry(), logger: ServiceTestSupport.logger)
        let eventID = "evt_\(UUID().uuidString)"
        try await app.test(.live) { client in
            try await ServiceTestSupport.waitUntilHealthy(client)
            try await fixture.publishPurchase(id: eventID)
            let message = try await ServiceTestSupport.firstMessage(
                on: fixture.topology.actionsQueue(connector: "webhook"), timeout: .seconds(15)
            ) { $0.type == ActionCommand.contract }
            let command = try MessageCoding.decode(ActionCommand.self, from: try #require(message).body)
            #expect(command.marketplaceID == fixture.marketplaceID && command.event.id == eventID)
            #expect(command.rule.id == ruleID && command.rule.connector == "webhook" && command.attempt == 1)
            #expect(message?.messageID == command.completionKey)
            let outcomes = try await fixture.outcomes(of: eventID, count: 1)
            #expect(outcomes.map(\.status) == [.pending] && outcomes.first?.entryID == command.commandID)
        }
    }

    @Test(
        "an event no rule matches gets one skipped outcome saying so, and no command",
        .enabled(if: ServiceTestSupport.isAvailable, "needs the test servers (deploy/local/test)"))
    func unmatchedEventIsSkipped() async throws {
        let fixture = try await Fixture()
        _ = try await fixture.saveRule(on: .productRefunded)
        let app = try await buildMatcher(
            settings: fixture.settings, registry: PrometheusCollectorRegistry(), logger: ServiceTestSupport.logger)
        let eventID = "evt_\(UUID().uuidString)"
        try await app.test(.live) { client in
            try await ServiceTestSupport.waitUntilHealthy(client)
            try await fixture.publishPurchase(id: eventID)
            let outcomes = try await fixture.outcomes(of: eventID, count: 1)
            #expect(outcomes.map(\.status) == [.skipped] && outcomes.first?.reason == "no rule matches")
            let command = try await ServiceTestSupport.firstMessage(
                on: fixture.topology.actionsQueue(connector: "webhook"), timeout: .seconds(2)
            ) { _ in true }
            #expect(command == nil)
        }
    }

    @Test(
        "a message of another contract on the triggers queue is dead-lettered with the reason, not matched",
        .enabled(if: ServiceTestSupport.isAvailable, "needs the test servers (deploy/local/test)"))
    func anotherContractIsDeadLettered() async throws {
        let fixture = try await Fixture()
        let app = try await buildMatcher(
            settings: fixture.settings, registry: PrometheusCollectorRegistry(), logger: ServiceTestSupport.logger)
        let id = "stray-\(UUID().uuidString)"
        try await app.test(.live) { client in
            try await ServiceTestSupport.waitUntilHealthy(client)
            try await ServiceTestSupport.withBroker { connection in
                try await connection.publish(
                    AMQPMessage(body: Array(#"{"hello":"world"}"#.utf8), messageID: id, type: Outcome.contract),
                    exchange: fixture.topology.eventsExchange, routingKey: BrokerTopology.triggerRoutingKey)
            }
            let dead = try await ServiceTestSupport.firstMessage(on: fixture.topology.deadQueue, timeout: .seconds(15))
            {
                $0.messageID == id
            }
            guard case .string(let reason) = try #require(dead).headers[DeadLetter.reasonHeader] else {
                Issue.record("the dead letter has no reason header")
                return
            }
            #expect(reason.contains("expected a \(TriggerMessage.contract) message"), "\(reason)")
        }
    }
}

/// Outcomes collected by a consumer's predicate.
final class OutcomeBox: Sendable {
    private let outcomes = Mutex<[Outcome]>([])
    /// Adds one and returns how many there are.
    func append(_ outcome: Outcome) -> Int {
        outcomes.withLock {
            $0.append(outcome); return $0.count
        }
    }
    /// Every one collected.
    var all: [Outcome] { outcomes.withLock { $0 } }
}
