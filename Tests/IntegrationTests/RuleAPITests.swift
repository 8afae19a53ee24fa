import Foundation
import Logging
import Messages
import PostgresNIO
import Storage
import Testing

extension Integration {
    /// The rules API: validation that names the field, changes that are in force for the very next event in every
    /// matcher process, tenancy, and destinations typed by hand.
    @Suite struct RuleAPITests {
        @Test("rule validation errors name the offending field, on create and on change")
        func validationNamesTheField() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let integration = try await stack.createWebhookIntegration(key: key)
            let valid = try JSONValue(stack.ruleInput(integrationID: integration.id, path: "/ok/v"))
            let url = JSONValue.string(stack.receiver.url("/ok/v"))
            // Values the contract refuses: sent as raw JSON, since the typed client cannot express them.
            let cases: [(change: JSONValue, field: String)] = [
                (["scope": "everything"], "scope"),
                (["scope": "product"], "product_id"),
                (["product_id": "prod_course"], "product_id"),
                (["trigger": "product.bought"], "trigger"),
                (["integration_id": "int_missing"], "integration_id"),
                (["action": "email"], "action"),
                (["destination": ["kind": "tag", "name": url]], "destination.kind"),
                (["destination": ["kind": "url", "name": "  "]], "destination.name"),
                (["destination": ["kind": "url", "name": "ftp://example.com/x"]], "destination.name"),
            ]
            for (change, field) in cases {
                let body = valid.merging(change)
                let response = try await stack.postRule(key: key, body)
                #expect(response.status == 400, "create with \(change)")
                #expect(response.errorField == field, "create with \(change): \(response.text)")
            }

            let id = try await stack.client(key).gateway.createRule(
                body: .json(stack.ruleInput(integrationID: integration.id, path: "/ok/v"))
            ).created.body.json.id
            for (change, field) in cases {
                let response = try await stack.patchRule(key: key, id: id, change)
                #expect(response.status == 400, "change with \(change)")
                #expect(response.errorField == field, "change with \(change): \(response.text)")
            }
            // Nothing was changed by the refused patches.
            let read = try await stack.client(key).gateway.getRule(path: .init(id: id)).ok.body.json
            #expect(read.trigger == .product_purchased)
            #expect(read.scope == .global)
            #expect(
                try await refusal { try await stack.changeRule(key: key, id: "rule_missing", .init(enabled: false)) }
                    .status == 404)
        }

        @Test("PATCH changes any field, re-validated, and GET shows the result")
        func patchChangesFields() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let first = try await stack.createWebhookIntegration(key: key, label: "First")
            let second = try await stack.createWebhookIntegration(key: key, label: "Second")
            let gateway = try stack.client(key).gateway
            let created = try await gateway.createRule(
                body: .json(stack.ruleInput(integrationID: first.id, path: "/ok/a"))
            ).created.body.json
            let id = created.id

            try await stack.changeRule(
                key: key, id: id,
                .init(
                    scope: .product, productId: "prod_x", trigger: .product_refunded, integrationId: second.id,
                    destination: .init(kind: .url, name: stack.receiver.url("/ok/b")), enabled: false))
            let read = try await gateway.getRule(path: .init(id: id)).ok.body.json
            #expect(read.scope == .product)
            #expect(read.productId == "prod_x")
            #expect(read.trigger == .product_refunded)
            #expect(read.integrationId == second.id)
            #expect(read.enabled == false)
            #expect(read.destination.name == stack.receiver.url("/ok/b"))
            #expect(read.destination.fromCatalog == false, "a webhook URL is never in a catalog")
            #expect(read.updatedAt != created.updatedAt)

            // Back to global: the product goes with the scope.
            let global = try await stack.changeRule(key: key, id: id, .init(scope: .global))
            #expect(global.scope == .global)
            #expect(global.productId == nil)
            let listed = try await gateway.listRules(query: .init(trigger: .product_refunded)).ok.body.json.rules
            #expect(listed.map(\.id) == [id])
        }

        @Test("another marketplace's integration is refused, on create and on change")
        func foreignIntegrationIsRefused() async throws {
            let stack = try await TestStack.shared()
            let (_, keyA) = try await stack.createMarketplace("A")
            let (_, keyB) = try await stack.createMarketplace("B")
            let integrationA = try await stack.createWebhookIntegration(key: keyA)
            let integrationB = try await stack.createWebhookIntegration(key: keyB)
            let created = try await refusal {
                try await stack.createRule(key: keyB, integrationID: integrationA.id, path: "/ok/x")
            }
            #expect(created.status == 400)
            #expect(created.field == "integration_id")

            let idB = try await stack.createRule(key: keyB, integrationID: integrationB.id, path: "/ok/x")
            let patched = try await refusal {
                try await stack.changeRule(key: keyB, id: idB, .init(integrationId: integrationA.id))
            }
            #expect(patched.status == 400)
            #expect(patched.field == "integration_id")
            // Nor can A read, change or delete B's rule.
            let gatewayA = try stack.client(keyA).gateway
            #expect(try await refusal { try await gatewayA.getRule(path: .init(id: idB)).ok }.status == 404)
            #expect(
                try await refusal { try await stack.changeRule(key: keyA, id: idB, .init(enabled: false)) }.status
                    == 404)
            #expect(try await refusal { try await gatewayA.deleteRule(path: .init(id: idB)).noContent }.status == 404)
        }

        @Test("a rule saved after its integration was deleted (the check passed first) is refused as not found")
        func integrationDeletedBeforeTheWriteIsNotFound() async throws {
            let stack = try await TestStack.shared()
            let (marketplaceID, key) = try await stack.createMarketplace("race")
            let integration = try await stack.createWebhookIntegration(key: key, label: "goes away")
            let kept = try await stack.createWebhookIntegration(key: key, label: "stays")
            let ruleID = try await stack.createRule(key: key, integrationID: kept.id, path: "/ok/r")
            // What the gateway's check saw: the integration existed; what the write meets: it is gone.
            _ = try await stack.client(key).gateway.deleteIntegration(path: .init(id: integration.id)).noContent
            let new = RuleStore.NewRule(
                scope: .global, productID: nil, trigger: .productPurchased, integrationID: integration.id,
                action: "post", destination: Destination(kind: .url, name: "http://127.0.0.1:9/"), enabled: true)
            try await stack.withDatabase { client, logger in
                let store = RuleStore(client: client, logger: logger)
                // Today's main: the foreign-key violation escaped as an unexpected error, answered 500.
                let created = await #expect(throws: StorageError.self) {
                    try await store.create(marketplaceID: marketplaceID, new)
                }
                #expect(created?.code == .notFound, "\(String(describing: created))")
                let changed = await #expect(throws: StorageError.self) {
                    try await store.update(marketplaceID: marketplaceID, id: ruleID, new)
                }
                #expect(changed?.code == .notFound, "\(String(describing: changed))")
            }
        }

        @Test("PATCH, disable and delete are in force for the very next event, with two matcher processes")
        func changesApplyToNextEventAcrossMatchers() async throws {
            let stack = try await TestStack.shared()
            var environment = stack.matcher.environment
            let port = TestStack.freePorts(1)[0]
            environment[TestStack.portKey] = "\(port)"
            // Its own log directory: file names count starts per process object, and would collide with the first's.
            let logDirectory = stack.matcher.logDirectory.appendingPathComponent("second-matcher-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
            let second = ServiceProcess(
                name: "switchyard-matcher", environment: environment, logDirectory: logDirectory)
            try second.start()
            defer { second.terminate() }
            try await waitForHealth("http://127.0.0.1:\(port)/health")

            let (_, key) = try await stack.createMarketplace()
            let integration = try await stack.createWebhookIntegration(key: key)
            let before = "/ok/before-\(UUID().uuidString)"
            let after = "/ok/after-\(UUID().uuidString)"
            let ruleID = try await stack.createRule(key: key, integrationID: integration.id, path: before)
            // Both matchers cache the rule (events are spread over the two consumers).
            let warm = try await publishBurst(stack, key: key)
            for eventID in warm { _ = try await stack.finalEntries(key: key, eventID: eventID, count: 1) }
            #expect(stack.receiver.requests(path: before).count == warm.count)

            // A new destination: every following event goes there, none to the old one.
            try await stack.changeRule(
                key: key, id: ruleID, .init(destination: .init(kind: .url, name: stack.receiver.url(after))))
            let moved = try await publishBurst(stack, key: key)
            for eventID in moved {
                let entries = try await stack.finalEntries(key: key, eventID: eventID, count: 1)
                #expect(entries.first?.status == .success)
            }
            #expect(try await stack.settledCount(path: after) == moved.count)
            #expect(stack.receiver.requests(path: before).count == warm.count)

            // Disabled: nothing matches.
            #expect(try await stack.changeRule(key: key, id: ruleID, .init(enabled: false)).enabled == false)
            for eventID in try await publishBurst(stack, key: key) {
                let entries = try await stack.finalEntries(key: key, eventID: eventID, count: 1)
                #expect(reason(entries.first) == "no rule matches")
            }
            // Enabled again, then deleted.
            #expect(try await stack.changeRule(key: key, id: ruleID, .init(enabled: true)).enabled)
            for eventID in try await publishBurst(stack, key: key) {
                let entries = try await stack.finalEntries(key: key, eventID: eventID, count: 1)
                #expect(entries.first?.status == .success)
            }
            _ = try await stack.client(key).gateway.deleteRule(path: .init(id: ruleID)).noContent
            for eventID in try await publishBurst(stack, key: key) {
                let entries = try await stack.finalEntries(key: key, eventID: eventID, count: 1)
                #expect(reason(entries.first) == "no rule matches")
            }
            #expect(try await stack.settledCount(path: after) == moved.count * 2)

            // The second process really took part.
            let metrics = try await API.raw("GET", "http://127.0.0.1:\(port)/metrics")
            let handled = metrics.text.split(separator: "\n")
                .filter { $0.hasPrefix("switchyard_matcher_events_total") }
                .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
                .reduce(0, +)
            #expect(handled > 0, "the second matcher handled no event")
        }

        @Test("a destination is marked from_catalog only when the integration's catalog has it, by id or name")
        func catalogLookup() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let integration = try await stack.createWebhookIntegration(key: key)
            let url = stack.receiver.url("/ok/catalog")
            try await stack.withCatalog { catalog in
                try await catalog.upsert(integrationID: integration.id, kind: .tag, id: "t1", name: "VIP")
                try await catalog.upsert(integrationID: integration.id, kind: .url, id: "u1", name: url)
                #expect(
                    try await catalog.entryID(integrationID: integration.id, kind: .tag, id: nil, name: "VIP") == "t1")
                #expect(
                    try await catalog.entryID(integrationID: integration.id, kind: .tag, id: "t1", name: "x") == "t1")
                #expect(
                    try await catalog.entryID(integrationID: integration.id, kind: .list, id: nil, name: "VIP") == nil)
                #expect(
                    try await catalog.entryID(integrationID: integration.id, kind: .tag, id: nil, name: "Typed") == nil)
            }
            // Even a URL that somehow sits in the catalog is typed by hand.
            let created = try await stack.client(key).gateway.createRule(
                body: .json(stack.ruleInput(integrationID: integration.id, path: "/ok/catalog"))
            ).created.body.json
            #expect(created.destination.fromCatalog == false)
        }

        private func publishBurst(_ stack: TestStack, key: String, count: Int = 6) async throws -> [String] {
            var ids: [String] = []
            for _ in 0..<count {
                let event = TestStack.event(type: .product_purchased, purchaseKind: .primary)
                try await stack.publishAccepted(key: key, event)
                ids.append(event.id)
            }
            return ids
        }

        private func waitForHealth(_ url: String) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                if let response = try? await API.raw("GET", url), response.status == 200 { return }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw HarnessError("\(url) never became healthy")
        }
    }
}
