import AMQP
import APIClient
import Foundation
import Testing

/// Issue 13: a store backend publishes trigger events over AMQP with a third-party client (pika, from PyPI; see
/// `pika-client.py`) as a broker user made by `deploy/local/add-publisher`, exactly as `docs/amqp-ingestion.md`
/// tells a store developer to.
extension Integration {
    @Suite(.serialized) struct AMQPIngestionTests {
        static let client = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("pika-client.py").path
        static let addPublisher = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/local/add-publisher").path

        /// A marketplace with a webhook rule for product.purchased at `path`, and its publisher's AMQP URL.
        struct Store {
            var id: String
            var key: String
            var path: String
            var publisher: (user: String, url: String)
        }

        static func store(_ stack: TestStack, name: String) async throws -> Store {
            let (id, key) = try await stack.createMarketplace(name)
            let integration = try await stack.createWebhookIntegration(key: key)
            let path = "/amqp/\(UUID().uuidString)"
            try await stack.createRule(key: key, integrationID: integration.id, path: path)
            return Store(id: id, key: key, path: path, publisher: try await publisher(stack, marketplaceID: id))
        }

        /// Runs deploy/local/add-publisher against the test broker.
        static func publisher(_ stack: TestStack, marketplaceID: String, name: String = "pika") async throws
            -> (user: String, url: String)
        {
            let output = try await shell(
                "\(quoted(addPublisher)) --test --prefix \(quoted(stack.topology.prefix)) \(marketplaceID) \(name)")
            var values: [String: String] = [:]
            for line in output.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { values[parts[0]] = parts[1] }
            }
            guard let user = values["user"], let url = values["url"] else {
                throw HarnessError("add-publisher printed no user and url:\n\(output)")
            }
            return (user, url)
        }

        /// Publishes `body` with pika (persistent, publisher confirms, mandatory); the client's JSON answer
        /// (`{"published": true}` or `{"published": false, "error": "…"}`).
        static func publish(
            url: String, exchange: String, body: [UInt8], type: String? = "switchyard.event.v1",
            messageID: String? = nil,
            userID: String?
        ) async throws -> [String: JSONValue] {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("pika-\(UUID().uuidString).json")
            try Data(body).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            var command = "python3 \(quoted(client)) publish \(quoted(url)) \(quoted(exchange)) \(quoted(file.path))"
            if let type { command += " --type \(quoted(type))" }
            if let messageID { command += " --message-id \(quoted(messageID))" }
            if let userID { command += " --user-id \(quoted(userID))" }
            return try json(try await shell(command))
        }

        /// The bytes a store publishes: an event of the contract (`Gateway.TriggerEvent`) in the API's JSON, or a
        /// `JSONValue` the contract would refuse.
        static func eventBody(_ event: some Encodable) throws -> [UInt8] {
            Array(try SwitchyardClient.encoder().encode(event))
        }

        @Test(
            "an event published with pika as the marketplace's publisher is performed and logged like one from the gateway",
            .enabled(if: TestEnvironment.isAvailable, "needs the test servers (deploy/local/test)"))
        func validEventIsDelivered() async throws {
            let stack = try await TestStack.shared()
            let store = try await Self.store(stack, name: "AMQP store")
            let id = "evt_amqp_\(UUID().uuidString)"
            let reply = try await Self.publish(
                url: store.publisher.url, exchange: stack.topology.ingestExchange,
                body: try Self.eventBody(TestStack.event(id: id)), messageID: id, userID: store.publisher.user)
            #expect(reply["published"] == true, "\(reply)")
            let entries = try await stack.finalEntries(key: store.key, eventID: id, count: 1)
            #expect(entries.first?.status == .success, "\(entries)")
            #expect(entries.first?.trigger == "product.purchased")
            let received = try await stack.receiver.waitForRequests(path: store.path, count: 1)
            #expect(received.count == 1)
            // The same message again (a publisher retrying after a lost confirm) is harmless.
            let again = try await Self.publish(
                url: store.publisher.url, exchange: stack.topology.ingestExchange,
                body: try Self.eventBody(TestStack.event(id: id)), messageID: id, userID: store.publisher.user)
            #expect(again["published"] == true)
            try await Self.waitForCounter(stack, result: "duplicate", atLeast: 1)
            #expect(try await stack.settledCount(path: store.path) == 1)
        }

        @Test(
            "the same event id over HTTP and over AMQP is performed once, whichever comes first",
            .enabled(if: TestEnvironment.isAvailable, "needs the test servers (deploy/local/test)"))
        func sameIDOverHTTPAndAMQPIsPerformedOnce() async throws {
            let stack = try await TestStack.shared()
            let store = try await Self.store(stack, name: "Both ways")
            // HTTP first, then AMQP.
            let first = "evt_both_\(UUID().uuidString)"
            try await stack.publishAccepted(key: store.key, TestStack.event(id: first))
            _ = try await stack.finalEntries(key: store.key, eventID: first, count: 1)
            let before = try await Self.counter(stack, result: "duplicate")
            let reply = try await Self.publish(
                url: store.publisher.url, exchange: stack.topology.ingestExchange,
                body: try Self.eventBody(TestStack.event(id: first)), messageID: first, userID: store.publisher.user)
            #expect(reply["published"] == true)
            try await Self.waitForCounter(stack, result: "duplicate", atLeast: before + 1)
            // AMQP first, then HTTP: the gateway answers "duplicate".
            let second = "evt_both_\(UUID().uuidString)"
            _ = try await Self.publish(
                url: store.publisher.url, exchange: stack.topology.ingestExchange,
                body: try Self.eventBody(TestStack.event(id: second)), messageID: second, userID: store.publisher.user)
            _ = try await stack.finalEntries(key: store.key, eventID: second, count: 1)
            let http = try await stack.publish(key: store.key, TestStack.event(id: second))
            #expect(http.status == .duplicate, "\(http)")
            #expect(try await stack.settledCount(path: store.path) == 2)
            for id in [first, second] {
                let entries = try await stack.logEntries(key: store.key, eventID: id, timeout: .zero) { _ in true }
                #expect(entries.count == 1, "\(id): \(entries)")
            }
        }

        @Test(
            "an invalid event, a wrong type or a message id that is not the event's becomes a final entry that says why",
            .enabled(if: TestEnvironment.isAvailable, "needs the test servers (deploy/local/test)"))
        func invalidMessagesAreExplainedInTheLog() async throws {
            let stack = try await TestStack.shared()
            let store = try await Self.store(stack, name: "Careless store")
            let exchange = stack.topology.ingestExchange
            let noEmailID = "evt_noemail_\(UUID().uuidString)"
            // No email: not an event of the contract any more, so a JSON value.
            let noEmail = try JSONValue(TestStack.event(id: noEmailID)).merging(["customer": ["first_name": "Jane"]])
            let badType = "evt_badtype_\(UUID().uuidString)"
            let mismatch = "evt_mismatch_\(UUID().uuidString)"
            let cases: [(id: String, body: [UInt8], type: String?, messageID: String?, reason: String)] = [
                (noEmailID, try Self.eventBody(noEmail), "switchyard.event.v1", nil, "customer.email"),
                (
                    badType, try Self.eventBody(TestStack.event(id: badType)), "switchyard.trigger.v1", nil,
                    "switchyard.event.v1"
                ),
                (
                    mismatch, try Self.eventBody(TestStack.event(id: mismatch)), "switchyard.event.v1", "evt_other",
                    "message_id"
                ),
            ]
            for item in cases {
                let reply = try await Self.publish(
                    url: store.publisher.url, exchange: exchange, body: item.body, type: item.type,
                    messageID: item.messageID, userID: store.publisher.user)
                #expect(reply["published"] == true, "\(reply)")
            }
            for item in cases {
                let entries = try await stack.logEntries(key: store.key, eventID: item.id) {
                    $0.contains(where: isFinal)
                }
                let entry = try #require(entries.first, "no log entry for \(item.id)")
                let reason = entry.reason
                #expect(entry.status == .failed, "\(entry)")
                #expect(reason.hasPrefix("Rejected: ") && reason.contains(item.reason), "\(reason)")
                #expect(entries.count == 1)
            }
            // A body that is not even JSON still gets its entry, found by the message id.
            let garbage = "evt_garbage_\(UUID().uuidString)"
            _ = try await Self.publish(
                url: store.publisher.url, exchange: exchange, body: Array("not json {".utf8), messageID: garbage,
                userID: store.publisher.user)
            let entries = try await stack.logEntries(key: store.key, eventID: garbage) { $0.contains(where: isFinal) }
            #expect(entries.first?.status == .failed, "\(entries)")
            #expect(reason(entries.first).contains("not valid JSON"), "\(entries)")
            #expect(entries.first?.trigger == nil)
            #expect(try await stack.settledCount(path: store.path) == 0)
        }

        @Test(
            "a message without a marketplace is kept in the rejected queue with its reason and counted; none is retried",
            .enabled(if: TestEnvironment.isAvailable, "needs the test servers (deploy/local/test)"))
        func unattributedMessagesAreSetAside() async throws {
            let stack = try await TestStack.shared()
            let store = try await Self.store(stack, name: "Forgetful store")
            let before = try await Self.counter(stack, result: "unattributed")
            let id = "evt_nouser_\(UUID().uuidString)"
            // No user_id: the broker lets it through, and nothing says whose it is.
            let reply = try await Self.publish(
                url: store.publisher.url, exchange: stack.topology.ingestExchange,
                body: try Self.eventBody(TestStack.event(id: id)), messageID: id, userID: nil)
            #expect(reply["published"] == true)
            try await Self.waitForCounter(stack, result: "unattributed", atLeast: before + 1)
            // The set-aside was confirmed before it was counted, so the message is there.
            let queue = stack.topology.ingestRejectedQueue
            let kept = try await stack.withBroker { connection -> AMQPMessage? in
                let consumer = connection.consume(queue: queue, prefetch: 10)
                defer { consumer.cancel() }
                for await delivery in consumer {
                    delivery.ack()
                    if delivery.message.messageID == id { return delivery.message }
                }
                return nil
            }
            let message = try #require(kept, "nothing in \(queue)")
            #expect(message.messageID == id)
            guard case .string(let reason)? = message.headers["x-switchyard-reason"] else {
                Issue.record("no reason header: \(message.headers)")
                return
            }
            #expect(reason.contains("no user_id"), "\(reason)")
            let entries = try await stack.logEntries(key: store.key, eventID: id, timeout: .seconds(1)) { _ in false }
            #expect(entries.isEmpty)
            #expect(try await stack.settledCount(path: store.path) == 0)
        }

        @Test(
            "the publisher user can write to the ingestion exchange only: no reading, purging, deleting or impersonating",
            .enabled(if: TestEnvironment.isAvailable, "needs the test servers (deploy/local/test)"))
        func publisherCannotTouchThePipeline() async throws {
            let stack = try await TestStack.shared()
            let (id, _) = try await stack.createMarketplace("Locked-down store")
            let publisher = try await Self.publisher(stack, marketplaceID: id)
            let topology = stack.topology
            let queues = [
                topology.ingestQueue, topology.triggersQueue, topology.outcomesQueue,
                topology.actionsQueue(connector: "webhook"), topology.deadQueue, topology.ingestRejectedQueue,
            ]
            let command =
                "python3 \(Self.quoted(Self.client)) probe \(Self.quoted(publisher.url)) "
                + queues.map(Self.quoted).joined(separator: " ") + " --exchange \(Self.quoted(topology.eventsExchange))"
            let results = try Self.json(try await Self.shell(command))
            #expect(!results.isEmpty)
            for (attempt, result) in results {
                #expect(result == 403, "\(attempt): \(result) (expected 403 ACCESS_REFUSED)")
            }
            // Another marketplace's name in user_id: the broker itself refuses the publish (406 PRECONDITION_FAILED).
            let (other, _) = try await stack.createMarketplace("Victim store")
            let forged = try await Self.publish(
                url: publisher.url, exchange: topology.ingestExchange, body: try Self.eventBody(TestStack.event()),
                userID: "\(other).pika")
            #expect(forged["published"] == false)
            #expect(forged["error"] == "406", "\(forged)")
        }

        // MARK: - Helpers

        static func counter(_ stack: TestStack, result: String) async throws -> Double {
            let text = try await API.raw("GET", "\(stack.gatewayURL)/metrics").text
            let prefix = "switchyard_ingest_messages_total{result=\"\(result)\"}"
            return text.split(separator: "\n").filter { $0.hasPrefix(prefix) }
                .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
        }

        static func waitForCounter(_ stack: TestStack, result: String, atLeast value: Double) async throws {
            let deadline = ContinuousClock.now + .seconds(20)
            while try await counter(stack, result: result) < value {
                guard ContinuousClock.now < deadline else {
                    throw HarnessError("switchyard_ingest_messages_total{result=\"\(result)\"} did not reach \(value)")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }

        static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

        /// The JSON object the pika client printed last (its own output, not the API's).
        static func json(_ text: String) throws -> [String: JSONValue] {
            let line = text.split(separator: "\n").last.map(String.init) ?? ""
            guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(line.utf8)) else {
                throw HarnessError("not a JSON object: \(text)")
            }
            return object
        }

        /// Runs a shell command and returns what it printed (stdout and stderr); throws with that output on failure.
        static func shell(_ command: String) async throws -> String {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("shell-\(UUID().uuidString).txt")
            defer { try? FileManager.default.removeItem(at: output) }
            do {
                try await TestEnvironment.runAsync(shell: "\(command) > \(quoted(output.path)) 2>&1")
            } catch {
                let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
                throw HarnessError("\(error)\n\(text)")
            }
            return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        }
    }
}
