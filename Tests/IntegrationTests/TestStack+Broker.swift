import AMQP
import Foundation
import Logging
import Messages
import Pipeline

/// Direct access to the stack's broker, for tests that publish what the gateway would never let through (a
/// trigger with a NUL, a command twice at once, a dead letter) — as a misbehaving publisher or a crash would.
extension TestStack {
    /// The stack's queue names.
    var topology: BrokerTopology {
        BrokerTopology(prefix: gateway.environment["SWITCHYARD_AMQP_PREFIX"] ?? "switchyard")
    }

    /// Runs `body` with a connection of its own to the stack's broker (declaring nothing).
    func withBroker<T: Sendable>(_ body: @Sendable (AMQPConnection) async throws -> T) async throws -> T {
        let url = gateway.environment["SWITCHYARD_AMQP_URL"] ?? ""
        let connection = AMQPConnection(
            configuration: try AMQPConfiguration(url: url, connectionName: "switchyard-test"),
            topology: AMQPTopology(), logger: Logger(label: "test.broker"))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await connection.run()
                return nil
            }
            defer { group.cancelAll() }
            guard await connection.waitUntilConnected(timeout: .seconds(10)) else {
                throw HarnessError("could not connect to the test broker")
            }
            return try await body(connection)
        }
    }

    /// Publishes an action command to its connector's queue, as the matcher would.
    func publishCommand(_ command: ActionCommand, copies: Int = 1) async throws {
        let topology = self.topology
        try await withBroker { connection in
            let body = try MessageCoding.encode(command)
            let publication = Publication(
                AMQPMessage(body: body, messageID: command.commandID, type: ActionCommand.contract),
                exchange: topology.actionsExchange, routingKey: command.rule.connector)
            try await connection.publishAll(Array(repeating: publication, count: copies))
        }
    }

    /// Runs `body` while one more webhook worker process consumes the same queue; stopped afterwards.
    func withExtraWebhookWorker<T>(_ body: (ServiceProcess) async throws -> T) async throws -> T {
        try await withExtraWorker(like: webhookWorker, body)
    }

    /// A command for a webhook rule of the stack, as the matcher would make it, with a fresh id.
    func webhookCommand(
        marketplaceID: String, integrationID: String, path: String, createdAt: Date = Date(),
        email: String = "jane@example.com"
    ) -> ActionCommand {
        let eventID = "evt_\(UUID().uuidString)"
        let event = TriggerEvent(
            id: eventID, type: .productPurchased, customer: .init(email: email), product: .init(id: "prod_course"))
        let rule = RuleSnapshot(
            id: "rule_\(UUID().uuidString.prefix(8))", trigger: .productPurchased, productID: nil,
            integrationID: integrationID, integrationLabel: "Receiver", connector: "webhook", action: "post",
            destination: Destination(kind: .url, name: receiver.url(path)))
        return ActionCommand(
            commandID: "log_\(UUID().uuidString)", marketplaceID: marketplaceID, event: event, rule: rule,
            createdAt: createdAt)
    }
}
