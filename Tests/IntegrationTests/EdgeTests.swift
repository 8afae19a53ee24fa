import Foundation
import Messages
import Testing

/// "Hardening II" (issue 10): at the pipeline's edges nobody reaches what they should not, and a slow peer costs
/// other merchants nothing.
extension Integration {
@Suite struct EdgeTests {
    @Test("a rule may not name an internal address; one that slipped through is refused when connecting")
    func webhooksNeverReachInternalAddresses() async throws {
        let stack = try await TestStack.shared()
        let (marketplaceID, key) = try await stack.createMarketplace()
        let integration = try await stack.createWebhookIntegration(key: key)
        // The stack allows 127.0.0.1/32 (its receivers); every other internal address stays closed.
        for url in [
            "http://169.254.169.254/latest/meta-data", "http://10.0.0.5:9200/", "http://[::1]:15672/",
            "http://127.0.0.2:8081/v1/logs", "http://[::ffff:169.254.169.254]/", "http://100.64.0.1/",
        ] {
            var body = stack.ruleBody(integrationID: integration.id, trigger: "product.purchased", path: "/ok/x")
            body["destination"] = ["kind": "url", "name": url]
            let response = try await stack.postRule(key: key, body)
            #expect(response.status == 400, "\(url): \(response.text)")
            #expect(response.errorField == "destination.name")
        }
        var allowed = stack.ruleBody(integrationID: integration.id, trigger: "product.purchased", path: "/ok/x")
        allowed["destination"] = ["kind": "url", "name": "http://127.0.0.1:1/allowed"]
        #expect(try await stack.postRule(key: key, allowed).status == 201, "the operator's allow-list is honoured")

        // A command that names a refused address (saved before the policy, or crafted) is not sent at all.
        var command = stack.webhookCommand(marketplaceID: marketplaceID, integrationID: integration.id, path: "/ok/x")
        command.rule.destination.name = "http://127.0.0.2:\(stack.receiver.port)/ok/internal"
        try await stack.publishCommand(command)
        let entries = try await stack.logEntries(key: key, eventID: command.event.id) { $0.first.map(isFinal) ?? false }
        #expect(entries.first?["status"] as? String == "failed")
        #expect(reason(entries.first).contains("127.0.0.2 is a loopback address"), "\(reason(entries.first))")
        let attempt = (entries.first?["attempts"] as? [[String: Any]])?.first
        #expect(attempt == nil || attempt?["response"] as? String == "not sent")
    }

    @Test("a receiver that trickles its body is cut at the deadline; another marketplace is served meanwhile")
    func slowBodiesAreBounded() async throws {
        let stack = try await TestStack.shared()
        let (_, slowKey) = try await stack.createMarketplace("Slow")
        let slowIntegration = try await stack.createWebhookIntegration(key: slowKey)
        let trickle = "/trickle/\(UUID().uuidString)"
        try await stack.createRule(key: slowKey, integrationID: slowIntegration.id, path: trickle)
        let slowID = "evt_trickle_\(UUID().uuidString)"
        let started = ContinuousClock.now
        try await stack.publishAccepted(key: slowKey, TestStack.event(id: slowID))

        let (_, key) = try await stack.createMarketplace("Fast")
        let integration = try await stack.createWebhookIntegration(key: key)
        let path = "/ok/fast-\(UUID().uuidString)"
        try await stack.createRule(key: key, integrationID: integration.id, path: path)
        let fastID = "evt_fast_\(UUID().uuidString)"
        try await stack.publishAccepted(key: key, TestStack.event(id: fastID))
        let fast = try await stack.finalEntries(key: key, eventID: fastID, count: 1, timeout: .seconds(10))
        #expect(fast.first?["status"] as? String == "success")

        // The stack's webhook timeout is 3 s: the attempt ends then, whatever the body is still doing.
        let slow = try await stack.logEntries(key: slowKey, eventID: slowID, timeout: .seconds(10)) { entries in
            ["retrying", "failed"].contains(entries.first?["status"] as? String ?? "")
        }
        let elapsed = ContinuousClock.now - started
        #expect(["retrying", "failed"].contains(slow.first?["status"] as? String ?? ""), "\(slow)")
        #expect(elapsed < .seconds(8), "the attempt took \(elapsed)")
        #expect(reason(slow.first).contains("did not answer within 3 s"), "\(reason(slow.first))")
    }
}
}
