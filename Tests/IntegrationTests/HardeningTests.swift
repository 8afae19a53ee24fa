import AMQP
import APIClient
import Foundation
import Messages
import Pipeline
import ServiceRuntime
import Storage
import Testing

/// "Hardening I" (issue 9): one bad message never wedges the pipeline, nothing accepted is lost, nothing is done
/// twice. Each test publishes what a hostile store, a crash or a duplicate delivery would produce.
extension Integration {
    @Suite struct HardeningTests {
        @Test("a NUL in any event field is refused with 400 naming the field, and other tenants are not held back")
        func nulIsRefused() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let url = "\(stack.gatewayURL)/v1/events"
            let cases: [(String, String)] = [
                (#""customer":{"email":"a\u0000@x.io"}"#, "customer.email"),
                (#""customer":{"email":"a@x.io","first_name":"J\u0000"}"#, "customer.first_name"),
            ]
            for (customer, field) in cases {
                let body =
                    #"{"id":"evt_nul_\#(UUID().uuidString)","type":"product.purchased",\#(customer),"#
                    + #""product":{"id":"prod_course"}}"#
                let response = try await API.raw("POST", url, token: key, body: Array(body.utf8))
                #expect(response.status == 400, "\(field): \(response.text)")
                #expect(response.errorField == field)
            }
            let productID =
                #"{"id":"evt_nul_p","type":"product.purchased","customer":{"email":"a@x.io"},"#
                + #""product":{"id":"prod\u0000"}}"#
            let refused = try await API.raw("POST", url, token: key, body: Array(productID.utf8))
            #expect(refused.status == 400)
            #expect(refused.errorField == "product.id")

            // Management requests: bodies, query parameters and path ids alike.
            let label = #"{"connector":"webhook","label":"Re\u0000ceiver","credentials":{}}"#
            let badLabel = try await API.raw(
                "POST", "\(stack.gatewayURL)/v1/integrations", token: key, body: Array(label.utf8))
            #expect(badLabel.status == 400, "\(badLabel.text)")
            #expect(badLabel.errorField == "label")
            let rule =
                #"{"scope":"global","trigger":"product.purchased","integration_id":"int_\u0000","action":"post","#
                + #""destination":{"kind":"url","name":"http://127.0.0.1:1/x"}}"#
            let badRule = try await API.raw("POST", "\(stack.gatewayURL)/v1/rules", token: key, body: Array(rule.utf8))
            #expect(badRule.status == 400, "\(badRule.text)")
            #expect(badRule.errorField == "integration_id")
            let search = try await API.raw("GET", "\(stack.logsURL)/v1/logs?email=a%00b", token: key)
            #expect(search.status == 400, "\(search.text)")
            #expect(search.errorField == "email")
            let invalidUTF8 = try await API.raw("GET", "\(stack.logsURL)/v1/logs?product_id=%FF", token: key)
            #expect(invalidUTF8.status == 400, "\(invalidUTF8.text)")
            let path = try await API.raw("GET", "\(stack.gatewayURL)/v1/rules/rule%00x", token: key)
            #expect(path.status == 400, "\(path.text)")
        }

        @Test(
            "a trigger the gateway would refuse, published straight to the broker, ends as a failed entry; others flow")
        func poisonTriggerIsDeadLetteredAndExplained() async throws {
            let stack = try await TestStack.shared()
            let (badMarketplace, badKey) = try await stack.createMarketplace("Poison")
            let badIntegration = try await stack.createWebhookIntegration(key: badKey)
            try await stack.createRule(key: badKey, integrationID: badIntegration.id, path: "/ok/poison")
            // A NUL in the email: PostgreSQL refuses it in text, so every write that carries it fails for its data.
            let poisonID = "evt_poison_\(UUID().uuidString)"
            let event = TriggerEvent(
                id: poisonID, type: .productPurchased, customer: .init(email: "a\u{0}@x.io"), product: .init(id: "p1"))
            let message = TriggerMessage(marketplaceID: badMarketplace, receivedAt: Date(), event: event)
            let topology = stack.topology
            try await stack.withBroker { connection in
                let body = try MessageCoding.encode(message)
                let publication = Publication(
                    AMQPMessage(body: body, messageID: message.messageID, type: TriggerMessage.contract),
                    exchange: topology.eventsExchange, routingKey: BrokerTopology.triggerRoutingKey)
                try await connection.publishAll(Array(repeating: publication, count: 30))
            }
            // Another marketplace's event right behind them is processed as usual.
            let (_, key) = try await stack.createMarketplace("Healthy")
            let integration = try await stack.createWebhookIntegration(key: key)
            let path = "/ok/healthy-\(UUID().uuidString)"
            try await stack.createRule(key: key, integrationID: integration.id, path: path)
            let healthyID = "evt_healthy_\(UUID().uuidString)"
            try await stack.publishAccepted(key: key, TestStack.event(id: healthyID))
            let healthy = try await stack.finalEntries(key: key, eventID: healthyID, count: 1)
            #expect(healthy.first?.status == .success)
            // The poison event is explained in its own marketplace's log, not retried for ever.
            let poisoned = try await stack.logEntries(key: badKey, eventID: poisonID, timeout: .seconds(30)) {
                entries in
                entries.contains { $0.status == .failed }
            }
            let failed = try #require(poisoned.first { $0.status == .failed })
            #expect(
                reason(failed).contains("could not be processed") || reason(failed).contains("Could not be processed"))
            let dead = try await TestStack.counter("switchyard_dead_letters_total", at: "\(stack.logsURL)/metrics")
            #expect(dead >= 1)
        }

        @Test("an app's reply with a NUL is stored sanitised, and the entry is final")
        func repliesAreSanitised() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let integration = try await stack.createWebhookIntegration(key: key)
            let path = "/nulreply/\(UUID().uuidString)"
            try await stack.createRule(key: key, integrationID: integration.id, path: path)
            let id = "evt_nulreply_\(UUID().uuidString)"
            try await stack.publishAccepted(key: key, TestStack.event(id: id))
            let entries = try await stack.finalEntries(key: key, eventID: id, count: 1)
            let entryID = try #require(entries.first?.id)
            #expect(entries.first?.status == .success)
            let entry = try await stack.client(key).logs.getLogEntry(path: .init(id: entryID)).ok.body.json
            let response = entry.attempts.first?.response ?? ""
            #expect(response.contains("ok\u{FFFD}"), "\(response)")
            #expect(!response.contains("\u{0}") && !response.contains("\u{1b}"))
        }

        @Test("a batch write refused for one outcome's data writes the others of its batch")
        func batchSplitsOnDataError() async throws {
            let stack = try await TestStack.shared()
            let (marketplaceID, _) = try await stack.createMarketplace()
            try await stack.withDatabase { client, logger in
                let store = LogStore(client: client, logger: logger)
                let writer = BatchWriter<Outcome, Void>(maximumBatch: 10, maximumConcurrentFlushes: 1) { outcomes in
                    try await store.write(outcomes)
                    return outcomes.map { _ in () }
                }
                func outcome(_ email: String) -> Outcome {
                    Outcome(
                        entryID: "log_split_\(UUID().uuidString)", marketplaceID: marketplaceID, eventID: "evt_split",
                        trigger: .productPurchased, test: false, customerEmail: email, productID: nil, rule: nil,
                        status: .skipped, reason: "no rule matches", attemptNumber: 0, attempt: nil, at: Date())
                }
                let good = (0..<5).map { outcome("ok\($0)@x.io") }
                let bad = outcome("bad\u{0}@x.io")
                let results = await withTaskGroup(of: (String, Bool).self) { group in
                    for item in good + [bad] {
                        group.addTask { (item.entryID, (try? await writer.submit(item)) != nil) }
                    }
                    var results: [String: Bool] = [:]
                    for await (id, ok) in group { results[id] = ok }
                    return results
                }
                #expect(results[bad.entryID] == false)
                for item in good { #expect(results[item.entryID] == true, "a healthy outcome failed with the bad one") }
            }
        }

        @Test("each event of a batch has the 64 KiB limit: 413 for that item, the others accepted")
        func batchItemLimit() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            // A field the contract does not have pads the first event past the limit: the batch is sent raw.
            let huge = try JSONValue(TestStack.event(id: "evt_huge_\(UUID().uuidString)"))
                .merging(["padding": .string(String(repeating: "x", count: 70 * 1024))])
            let small = try JSONValue(TestStack.event(id: "evt_small_\(UUID().uuidString)"))
            let response = try await API.json(
                "POST", "\(stack.gatewayURL)/v1/events/batch", token: key, body: ["events": [huge, small]] as JSONValue)
            #expect(response.status == 200)
            let results = try response.decoded(as: Gateway.BatchResults.self).results
            #expect(results.count == 2)
            #expect(results.first?.httpStatus == 413)
            #expect(results.first?.error?.code == "payload_too_large")
            #expect(results.last?.status == .accepted)
        }

        @Test("a command delivered twice at once to two workers is performed once, and fails into one retry chain")
        func twoWorkersPerformOnce() async throws {
            let stack = try await TestStack.shared()
            let (marketplaceID, key) = try await stack.createMarketplace()
            let integration = try await stack.createWebhookIntegration(key: key)
            try await stack.withExtraWebhookWorker { _ in
                let slow = "/slow/once-\(UUID().uuidString)"
                let command = stack.webhookCommand(
                    marketplaceID: marketplaceID, integrationID: integration.id, path: slow)
                try await stack.publishCommand(command, copies: 4)
                _ = try await stack.receiver.waitForRequests(path: slow, count: 1)
                try await Task.sleep(for: .seconds(3))
                #expect(stack.receiver.requests(path: slow).count == 1, "one attempt, performed by one worker")

                // Two copies of a failing attempt: the stack retries twice ("1s,2s"), so exactly 3 requests in all.
                let failing = "/fail/chain-\(UUID().uuidString)"
                let failingCommand = stack.webhookCommand(
                    marketplaceID: marketplaceID, integrationID: integration.id, path: failing)
                try await stack.publishCommand(failingCommand, copies: 2)
                _ = try await stack.receiver.waitForRequests(path: failing, count: 3, timeout: .seconds(15))
                try await Task.sleep(for: .seconds(5))
                #expect(stack.receiver.requests(path: failing).count == 3, "one retry chain, not two")
            }
        }

        @Test("an id accepted before is answered duplicate and not published again")
        func gatewayDoesNotRepublish() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let id = "evt_dup_\(UUID().uuidString)"
            try await stack.publishAccepted(key: key, TestStack.event(id: id))
            _ = try await stack.finalEntries(key: key, eventID: id, count: 1)
            let metrics = stack.metricsURL(of: stack.matcher)
            func duplicates() async throws -> Double {
                let text = try await API.raw("GET", metrics).text
                return text.split(separator: "\n").filter { $0.hasPrefix("switchyard_matcher_events_total{") }
                    .filter { $0.contains(#"result="duplicate""#) }
                    .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
            }
            let before = try await duplicates()
            let again = try await stack.publish(key: key, TestStack.event(id: id))
            #expect(again.status == .duplicate)
            #expect(again.eventId == id)
            // A later event shows the matcher caught up; it saw that one event only.
            try await stack.publishAccepted(key: key, TestStack.event(id: "evt_after_\(UUID().uuidString)"))
            try await Task.sleep(for: .seconds(1))
            let after = try await duplicates()
            #expect(after == before, "the duplicate was published to the matcher again")
        }

        @Test("retention prunes only final entries: a retrying entry outside the newest N stays")
        func retentionKeepsWorkInFlight() async throws {
            let stack = try await TestStack.shared()
            let (marketplaceID, _) = try await stack.createMarketplace()
            try await stack.withDatabase { client, logger in
                let store = LogStore(client: client, logger: logger)
                func outcome(_ id: String, _ status: LogStatus, attempt: Int) -> Outcome {
                    Outcome(
                        entryID: id, marketplaceID: marketplaceID, eventID: "evt_\(id)", trigger: .productPurchased,
                        test: false, customerEmail: "a@x.io", productID: nil, rule: nil, status: status,
                        reason: status.rawValue, attemptNumber: attempt, attempt: nil, at: Date())
                }
                let retrying = "log_ret_\(UUID().uuidString)"
                try await store.write([outcome(retrying, .retrying, attempt: 1)])
                for n in 0..<3 {
                    try await store.write([outcome("log_new_\(n)_\(UUID().uuidString)", .success, attempt: 1)])
                }
                let deleted = try await store.prune(marketplaceID: marketplaceID, keep: 2)
                #expect(deleted == 1, "only the old final entry goes")
                #expect(try await store.entry(marketplaceID: marketplaceID, id: retrying) != nil)
            }
        }

        @Test("a replay after exhausted retries gets the whole schedule again; bulk replay queues every failed entry")
        func replaySchedulesAndBulk() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let integration = try await stack.createWebhookIntegration(key: key)
            let path = "/fail/replay-\(UUID().uuidString)"
            try await stack.createRule(key: key, integrationID: integration.id, path: path)
            let ids = ["evt_r1_\(UUID().uuidString)", "evt_r2_\(UUID().uuidString)"]
            for id in ids { try await stack.publishAccepted(key: key, TestStack.event(id: id)) }
            for id in ids {
                let entries = try await stack.finalEntries(key: key, eventID: id, count: 1, timeout: .seconds(30))
                #expect(entries.first?.status == .failed)
            }
            #expect(stack.receiver.requests(path: path).count == 6, "3 attempts each")
            let replay = try await stack.client(key).logs.replayLogEntries(query: .init(integrationId: integration.id))
                .accepted.body.json
            #expect(replay.queued == 2)
            _ = try await stack.receiver.waitForRequests(path: path, count: 12, timeout: .seconds(30))
            for id in ids {
                let entries = try await stack.finalEntries(key: key, eventID: id, count: 1, timeout: .seconds(30))
                #expect(reason(entries.first).contains("Gave up after 3 attempts"), "\(reason(entries.first))")
            }
            #expect(stack.receiver.requests(path: path).count == 12, "each replay got its 3 attempts")
            // Only failed entries can be replayed: the contract has no other status here, so this request is raw.
            let nothing = try await API.raw(
                "POST", "\(stack.logsURL)/v1/logs/replay?integration_id=\(integration.id)&status=success", token: key)
            #expect(nothing.status == 400)
        }

        @Test("the dead queue becomes explained, replayable log entries")
        func deadLettersAreRecorded() async throws {
            let stack = try await TestStack.shared()
            let (marketplaceID, key) = try await stack.createMarketplace()
            let integration = try await stack.createWebhookIntegration(key: key)
            let path = "/ok/dead-\(UUID().uuidString)"
            let command = stack.webhookCommand(marketplaceID: marketplaceID, integrationID: integration.id, path: path)
            // As the broker dead-letters a command that reached its delivery limit.
            let topology = stack.topology
            try await stack.withBroker { connection in
                try await connection.publish(
                    AMQPMessage(
                        body: try MessageCoding.encode(command), messageID: command.commandID,
                        type: ActionCommand.contract, headers: ["x-first-death-reason": .string("delivery_limit")]),
                    exchange: topology.deadExchange, routingKey: "")
            }
            let entries = try await stack.logEntries(key: key, eventID: command.event.id) {
                $0.first.map(isFinal) ?? false
            }
            let entry = try #require(entries.first)
            #expect(entry.status == .failed)
            #expect(reason(entry).contains("delivered 20 times"), "\(reason(entry))")
            let replay = try await stack.client(key).logs.replayLogEntry(path: .init(id: command.commandID))
                .accepted.body.json
            #expect(replay.id == command.commandID, "\(replay)")
            _ = try await stack.receiver.waitForRequests(path: path, count: 1)
            #expect(stack.receiver.requests(path: path).count == 1)
        }

        @Test("an action older than the maximum age is not retried")
        func maximumAgeIsEnforced() async throws {
            let stack = try await TestStack.shared()
            let (marketplaceID, key) = try await stack.createMarketplace()
            let integration = try await stack.createWebhookIntegration(key: key)
            let path = "/fail/old-\(UUID().uuidString)"
            let command = stack.webhookCommand(
                marketplaceID: marketplaceID, integrationID: integration.id, path: path,
                createdAt: Date().addingTimeInterval(-200 * 3600))
            try await stack.publishCommand(command)
            let entries = try await stack.logEntries(key: key, eventID: command.event.id) {
                $0.first.map(isFinal) ?? false
            }
            #expect(entries.first?.status == .failed)
            #expect(reason(entries.first).contains("old"), "\(reason(entries.first))")
            try await Task.sleep(for: .seconds(2))
            #expect(stack.receiver.requests(path: path).count == 1)
        }

        @Test("emails are trimmed and compared ignoring case: a purchase cancels the prospect, search finds it")
        func emailsAreNormalised() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let integration = try await stack.createWebhookIntegration(key: key)
            let path = "/ok/prospect-\(UUID().uuidString)"
            try await stack.createRule(
                key: key, integrationID: integration.id, trigger: .prospect_created, path: path)
            let prospect = TestStack.event(type: .prospect_created, email: "jane.trim@x.com")
            try await stack.publishAccepted(key: key, prospect)
            let purchase = TestStack.event(type: .product_purchased, email: "  Jane.Trim@X.com ")
            try await stack.publishAccepted(key: key, purchase)
            let entries = try await stack.finalEntries(key: key, eventID: prospect.id, count: 1, timeout: .seconds(30))
            #expect(entries.first?.status == .skipped, "\(reason(entries.first))")
            let search = try await stack.client(key).logs.searchLogs(query: .init(email: " JANE.TRIM@x.com")).ok.body
                .json
            #expect(search.entries.count >= 2)
        }

        @Test("purchase_kind on a refund is ignored, not a reason to refuse the event")
        func liberalAboutUnusedFields() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            var refund = TestStack.event(type: .product_refunded)
            refund.purchaseKind = .orderBump
            let answer = try await stack.publish(key: key, refund)
            #expect(answer.status == .accepted, "\(answer)")
            // A purchase_kind the contract does not know is still refused: sent raw, as the typed client cannot.
            let bogus = try JSONValue(refund).merging([
                "id": .string("evt_\(UUID().uuidString)"), "purchase_kind": "bogus",
            ])
            let refused = try await API.json("POST", "\(stack.gatewayURL)/v1/events", token: key, body: bogus)
            #expect(refused.status == 400, "\(refused.text)")
        }

        /// Runs switchyard-matcher with `environment` until it exits (at most 30 s): its exit code and output.
        func matcherExit(_ environment: [String: String]) async throws -> (status: Int32, output: String)? {
            let process = Process()
            process.executableURL = TestEnvironment.binDirectory.appendingPathComponent("switchyard-matcher")
            process.environment = environment
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = pipe
            try process.run()
            let deadline = ContinuousClock.now + .seconds(30)
            while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
                return nil
            }
            return (
                process.terminationStatus,
                String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            )
        }

        @Test("SWITCHYARD_PREFETCH=0 stops a process at start with exit code 78")
        func nonsenseSettingsExit78() async throws {
            let stack = try await TestStack.shared()
            var environment = stack.matcher.environment
            environment["SWITCHYARD_PREFETCH"] = "0"
            environment[TestStack.portKey] = "0"
            let exit = try #require(
                try await matcherExit(environment), "the matcher kept running with SWITCHYARD_PREFETCH=0")
            #expect(exit.status == 78)
            #expect(exit.output.contains("SWITCHYARD_PREFETCH"), "\(exit.output)")
        }

        @Test("a port another process listens on stops a service with exit code 1 and one line naming it, no crash")
        func portInUseExits1() async throws {
            let stack = try await TestStack.shared()
            let taken = stack.receiver.port
            var environment = stack.matcher.environment
            environment[TestStack.portKey] = "\(taken)"
            let exit = try #require(
                try await matcherExit(environment), "a second matcher kept running on port \(taken)")
            #expect(exit.status == 1, "\(exit.output)")
            #expect(
                exit.output.contains(
                    "switchyard-matcher: stopped: cannot listen on 127.0.0.1:\(taken): another process"),
                "\(exit.output)")
            #expect(!exit.output.contains("Fatal error"), "\(exit.output)")
        }
    }
}
