import Crypto
import Foundation
import Testing

/// The whole pipeline on real RabbitMQ and PostgreSQL, through the public HTTP API. Every nested suite shares one
/// stack, and they all run one at a time: one of them stops the broker, another kills processes.
@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.isAvailable,
        "needs SWITCHYARD_TEST_DATABASE_URL and SWITCHYARD_TEST_AMQP_URL (run deploy/local/test)"))
struct Integration {}

extension Integration {
    @Suite struct PipelineTests {
        @Test("an event reaches the receiver as a correctly signed POST and its log entry reads success")
        func signedDelivery() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let integration = try await stack.createWebhookIntegration(key: key)
            let path = "/ok/\(UUID().uuidString)"
            try await stack.createRule(key: key, integrationID: integration.id, path: path)
            let eventID = "evt_\(UUID().uuidString)"
            let answer = try await stack.publish(key: key, TestStack.event(id: eventID))
            #expect(answer.status == .accepted)
            #expect(answer.eventId == eventID)

            let received = try await stack.receiver.waitForRequests(path: path, count: 1)
            let request = try #require(received.first)
            // Verify as a receiver would, with an independent implementation of the scheme.
            let secret = try #require(Data(base64Encoded: String(integration.secret.dropFirst("whsec_".count))))
            let signed = Array("\(request.id).\(request.timestamp).".utf8) + request.body
            let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: secret))
            #expect(request.signature == "v1," + Data(mac).base64EncodedString())
            let timestamp = try #require(Double(request.timestamp))
            #expect(abs(timestamp - Date().timeIntervalSince1970) < 300)
            let body = try JSONDecoder().decode(JSONValue.self, from: Data(request.body))
            #expect(body["type"] == "product.purchased")
            #expect(body["data"]?["id"] == .string(eventID))

            let entries = try await stack.logEntries(key: key, eventID: eventID) { $0.first.map(isFinal) ?? false }
            let entry = try #require(entries.first)
            #expect(entries.count == 1)
            #expect(entry.status == .success)
            #expect(entry.id == request.id, "the webhook-id is the log entry's id")
            #expect(entry.customerEmail == "jane@example.com")
            #expect(entry.attempts.count == 1)
            #expect(entry.reason.contains("Delivered"))
        }

        @Test("an event that matches no rule has one skipped entry saying so")
        func unmatchedEventIsSkipped() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let eventID = "evt_\(UUID().uuidString)"
            #expect(
                try await stack.publish(key: key, TestStack.event(id: eventID, type: .product_refunded)).status
                    == .accepted)
            let entries = try await stack.logEntries(key: key, eventID: eventID) { !$0.isEmpty }
            #expect(entries.count == 1)
            #expect(entries.first?.status == .skipped)
            #expect(entries.first?.reason == "no rule matches")
            #expect(entries.first?.trigger == "product.refunded")
        }

        @Test("the same event id published twice is delivered once")
        func duplicateIsDeliveredOnce() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let integration = try await stack.createWebhookIntegration(key: key)
            let path = "/ok/\(UUID().uuidString)"
            try await stack.createRule(key: key, integrationID: integration.id, path: path)
            let event = TestStack.event(id: "evt_dup_\(UUID().uuidString)")
            let first = try await stack.publish(key: key, event)
            let second = try await stack.publish(key: key, event)
            #expect(first.status == .accepted)
            #expect(second.status == .duplicate)
            #expect(second.eventId == event.id)
            _ = try await stack.receiver.waitForRequests(path: path, count: 1)
            // Give a second delivery every chance to show up before counting.
            let barrier = TestStack.event(id: "evt_barrier_\(UUID().uuidString)")
            _ = try await stack.publish(key: key, barrier)
            _ = try await stack.logEntries(key: key, eventID: barrier.id) { $0.first.map(isFinal) ?? false }
            try await Task.sleep(for: .milliseconds(500))
            let deliveries = stack.receiver.requests(path: path).filter { request in
                (try? JSONDecoder().decode(JSONValue.self, from: Data(request.body)))?["data"]?["id"]
                    == .string(event.id)
            }
            #expect(deliveries.count == 1)
            let entries = try await stack.logEntries(key: key, eventID: event.id) { $0.first.map(isFinal) ?? false }
            #expect(entries.count == 1)
        }

        @Test("a product rule fires only for its product; a global rule for every product")
        func productAndGlobalRules() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let integration = try await stack.createWebhookIntegration(key: key)
            let productPath = "/ok/product-\(UUID().uuidString)"
            let globalPath = "/ok/global-\(UUID().uuidString)"
            try await stack.createRule(key: key, integrationID: integration.id, productID: "prod_a", path: productPath)
            try await stack.createRule(key: key, integrationID: integration.id, path: globalPath)

            let forA = "evt_a_\(UUID().uuidString)"
            let forB = "evt_b_\(UUID().uuidString)"
            _ = try await stack.publish(key: key, TestStack.event(id: forA, product: "prod_a"))
            _ = try await stack.publish(key: key, TestStack.event(id: forB, product: "prod_b"))
            let entriesA = try await stack.logEntries(key: key, eventID: forA) {
                $0.count == 2 && $0.allSatisfy(isFinal)
            }
            let entriesB = try await stack.logEntries(key: key, eventID: forB) {
                $0.count == 1 && $0.allSatisfy(isFinal)
            }
            #expect(entriesA.count == 2)
            #expect(entriesB.count == 1)
            #expect(entriesB.first?.productId == "prod_b")
            try await Task.sleep(for: .milliseconds(300))
            #expect(stack.receiver.requests(path: productPath).count == 1)
            #expect(stack.receiver.requests(path: globalPath).count == 2)
        }

        @Test("marketplace B neither triggers A's rules nor reads A's logs or integrations")
        func tenantIsolation() async throws {
            let stack = try await TestStack.shared()
            let (_, keyA) = try await stack.createMarketplace("A")
            let (_, keyB) = try await stack.createMarketplace("B")
            let integrationA = try await stack.createWebhookIntegration(key: keyA)
            let pathA = "/ok/tenant-a-\(UUID().uuidString)"
            try await stack.createRule(key: keyA, integrationID: integrationA.id, path: pathA)

            let eventA = "evt_\(UUID().uuidString)"
            _ = try await stack.publish(key: keyA, TestStack.event(id: eventA))
            let entriesA = try await stack.logEntries(key: keyA, eventID: eventA) { $0.first.map(isFinal) ?? false }
            let entryA = try #require(entriesA.first)
            #expect(entryA.status == .success)

            // B publishes the same product, and even the same event id: A's rule must not fire.
            _ = try await stack.publish(key: keyB, TestStack.event(id: eventA))
            let entriesB = try await stack.logEntries(key: keyB, eventID: eventA) { !$0.isEmpty }
            #expect(entriesB.count == 1)
            #expect(entriesB.first?.status == .skipped)
            #expect(stack.receiver.requests(path: pathA).count == 1)

            // B cannot read A's entry, A's integration, nor use it in a rule.
            let clientB = try stack.client(keyB)
            #expect(
                try await refusal { try await clientB.logs.getLogEntry(path: .init(id: entryA.id)).ok }.status == 404)
            let idsB = try await clientB.logs.searchLogs().ok.body.json.entries.map(\.id)
            #expect(!idsB.contains(entryA.id))
            #expect(
                try await refusal { try await clientB.gateway.getIntegration(path: .init(id: integrationA.id)).ok }
                    .status
                    == 404)
            #expect(try await clientB.gateway.listIntegrations().ok.body.json.integrations.isEmpty)
            let rule = try await refusal {
                try await clientB.gateway.createRule(
                    body: .json(stack.ruleInput(integrationID: integrationA.id, path: pathA))
                ).created
            }
            #expect(rule.status == 400)
            #expect(rule.field == "integration_id")
        }
    }
}

extension Integration {
    @Suite struct OpenAPITests {
        @Test("the gateway and the log service each serve their own OpenAPI document, which names their routes")
        func served() async throws {
            let stack = try await TestStack.shared()
            let documented = [
                stack.gatewayURL: [
                    "/v1/events", "/v1/rules", "/v1/integrations", "/v1/integrations/{id}/catalog",
                    "/v1/oauth/callback",
                    "/v1/products", "/admin/v1/marketplaces",
                ],
                stack.logsURL: ["/v1/logs", "/v1/logs/{id}", "/v1/logs/{id}/replay", "/v1/config-logs"],
            ]
            for (base, expected) in documented {
                let response = try await API.raw("GET", "\(base)/openapi.json")
                #expect(response.status == 200)
                let document = try response.decoded(as: JSONValue.self)
                #expect(document["openapi"] == "3.1.0")
                let paths = document["paths"] ?? [:]
                for path in expected {
                    #expect(paths[path] != nil, "\(path) is documented at \(base)")
                }
                #expect(
                    paths["/v1/logs"] == nil || base == stack.logsURL, "each document names its own service's routes")
            }
        }
    }
}
