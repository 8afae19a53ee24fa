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

    @Test(
        "with PostgreSQL stopped every API endpoint answers 503 within a second; after it returns all resumes",
        .enabled(if: TestEnvironment.canRunChaos, "needs SWITCHYARD_TEST_DATABASE_STOP/START (deploy/local/test)"))
    func databaseOutage() async throws {
        let stack = try await TestStack.shared()
        let (_, key) = try await stack.createMarketplace()
        let integration = try await stack.createWebhookIntegration(key: key)
        let path = "/ok/db-outage-\(UUID().uuidString)"
        try await stack.createRule(key: key, integrationID: integration.id, path: path)
        try await stack.publishAccepted(key: key, TestStack.event(id: "evt_warm_\(UUID().uuidString)"))

        try await TestEnvironment.runAsync(shell: try #require(TestEnvironment.databaseStop))
        var restarted = false
        defer {
            if !restarted, let start = TestEnvironment.databaseStart { try? TestEnvironment.run(shell: start) }
        }
        // The monitors notice within about a second.
        try await Task.sleep(for: .seconds(2))
        var refusedIDs: [String] = []
        let outageEnds = ContinuousClock.now + .seconds(18)
        while ContinuousClock.now < outageEnds {
            let id = "evt_db_\(UUID().uuidString)"
            for (method, url, body) in [
                ("POST", "\(stack.gatewayURL)/v1/events", TestStack.event(id: id) as Any?),
                ("GET", "\(stack.gatewayURL)/v1/rules", nil), ("GET", "\(stack.logsURL)/v1/logs", nil),
                ("GET", "\(stack.gatewayURL)/v1/integrations", nil),
            ] {
                let started = ContinuousClock.now
                let response = try await API.json(method, url, token: key, body: body)
                let elapsed = ContinuousClock.now - started
                #expect(response.status == 503, "\(method) \(url): \(response.status) \(response.text)")
                #expect(response.headers.first(name: "retry-after") != nil)
                #expect(elapsed < .seconds(1), "\(method) \(url) took \(elapsed)")
            }
            refusedIDs.append(id)
            for url in stack.healthURLs.prefix(4) {
                #expect(try await API.raw("GET", url).status == 503, "\(url) says healthy without its database")
            }
            try await Task.sleep(for: .seconds(2))
        }

        try await TestEnvironment.runAsync(shell: try #require(TestEnvironment.databaseStart))
        restarted = true
        try await stack.waitUntilHealthy(timeout: .seconds(60))
        // A store retries what was refused (the same ids): each is accepted now and performed once.
        for id in refusedIDs {
            let response = try await stack.publish(key: key, TestStack.event(id: id))
            #expect(response.status == 202, "\(response.text)")
        }
        for id in refusedIDs {
            let entries = try await stack.finalEntries(key: key, eventID: id, count: 1, timeout: .seconds(30))
            #expect(entries.first?["status"] as? String == "success")
        }
        #expect(stack.receiver.requests(path: path).count == refusedIDs.count + 1)
    }

    @Test("for every endpoint that takes an id, another marketplace gets 404 and changes nothing")
    func isolationMatrix() async throws {
        let stack = try await TestStack.shared()
        let (_, keyA) = try await stack.createMarketplace("A")
        let (_, keyB) = try await stack.createMarketplace("B")
        let integration = try await stack.createWebhookIntegration(key: keyA, label: "A's receiver")
        let path = "/fail/isolation-\(UUID().uuidString)"
        let ruleID = try await stack.createRule(key: keyA, integrationID: integration.id, path: path)
        let eventID = "evt_iso_\(UUID().uuidString)"
        try await stack.publishAccepted(key: keyA, TestStack.event(id: eventID))
        let entries = try await stack.finalEntries(key: keyA, eventID: eventID, count: 1, timeout: .seconds(30))
        let entryID = try #require(entries.first?["id"] as? String)
        let g = stack.gatewayURL
        let l = stack.logsURL
        let calls: [(String, String, Any?)] = [
            ("GET", "\(g)/v1/integrations/\(integration.id)", nil),
            ("PATCH", "\(g)/v1/integrations/\(integration.id)", ["label": "taken over"]),
            ("POST", "\(g)/v1/integrations/\(integration.id)/refresh", nil),
            ("GET", "\(g)/v1/integrations/\(integration.id)/catalog?kind=tag", nil),
            ("DELETE", "\(g)/v1/integrations/\(integration.id)?cascade=true", nil),
            ("GET", "\(g)/v1/rules/\(ruleID)", nil),
            ("PATCH", "\(g)/v1/rules/\(ruleID)", ["enabled": false]),
            ("DELETE", "\(g)/v1/rules/\(ruleID)", nil),
            ("GET", "\(l)/v1/logs/\(entryID)", nil),
            ("POST", "\(l)/v1/logs/\(entryID)/replay", nil),
        ]
        for (method, url, body) in calls {
            let response = try await API.json(method, url, token: keyB, body: body)
            #expect(response.status == 404, "\(method) \(url) as B: \(response.status) \(response.text)")
        }
        var foreign = stack.ruleBody(integrationID: integration.id, trigger: "product.purchased", path: "/ok/b")
        foreign["scope"] = "global"
        let borrowed = try await stack.postRule(key: keyB, foreign)
        #expect(borrowed.status == 400 && borrowed.errorField == "integration_id", "\(borrowed.text)")
        let bulk = try await API.json("POST", "\(l)/v1/logs/replay?integration_id=\(integration.id)", token: keyB)
        #expect(bulk.object["queued"] as? Int == 0)
        let search = try await API.json("GET", "\(l)/v1/logs?event_id=\(eventID)", token: keyB)
        #expect((search.object["entries"] as? [[String: Any]] ?? []).isEmpty)

        // A's things are as they were.
        let mine = try await API.json("GET", "\(g)/v1/integrations/\(integration.id)", token: keyA)
        #expect(mine.object["label"] as? String == "A's receiver")
        let rule = try await API.json("GET", "\(g)/v1/rules/\(ruleID)", token: keyA)
        #expect(rule.object["enabled"] as? Bool == true)
        let entry = try await API.json("GET", "\(l)/v1/logs/\(entryID)", token: keyA)
        #expect(entry.object["status"] as? String == "failed", "B's replay must not have touched it")
    }

    @Test("made-up API keys cost no database query each: malformed ones none, repeated ones one, a flood is limited")
    func unknownKeysAreCheap() async throws {
        let stack = try await TestStack.shared()
        let metrics = stack.metricsURL(of: stack.gateway, portKey: "SWITCHYARD_GATEWAY_PORT")
        let url = "\(stack.gatewayURL)/v1/rules"
        let before = try await TestStack.counter("switchyard_auth_key_lookups_total", at: metrics)
        for n in 0..<100 {
            #expect(try await API.json("GET", url, token: "sy_live_guess\(n)").status == 401)
        }
        let afterMalformed = try await TestStack.counter("switchyard_auth_key_lookups_total", at: metrics)
        #expect(afterMalformed == before, "a key that cannot be ours was looked up")
        let wellFormed = "sy_live_" + String(repeating: "A", count: 43)
        for _ in 0..<50 { #expect(try await API.json("GET", url, token: wellFormed).status == 401) }
        let afterRepeated = try await TestStack.counter("switchyard_auth_key_lookups_total", at: metrics)
        #expect(afterRepeated - afterMalformed == 1, "an unknown key is remembered as unknown")
        // 300 different well-formed keys at once: at most the lookup budget (50 a second) reaches the database.
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<300 {
                group.addTask {
                    let key = "sy_live_" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(32))
                        + String(repeating: "b", count: 11)
                    return try await API.json("GET", url, token: key).status
                }
            }
            var statuses: [Int] = []
            for try await status in group { statuses.append(status) }
            return statuses
        }
        #expect(statuses.allSatisfy { $0 == 401 || $0 == 429 })
        let afterFlood = try await TestStack.counter("switchyard_auth_key_lookups_total", at: metrics)
        #expect(afterFlood - afterRepeated < 150, "\(afterFlood - afterRepeated) lookups for 300 made-up keys")
        #expect(statuses.contains(429))
        // A real key still works once the budget refilled (a second's worth).
        try await Task.sleep(for: .milliseconds(1500))
        let (_, key) = try await stack.createMarketplace()
        #expect(try await API.json("GET", url, token: key).status == 200)
    }

    @Test("a merchant whose endpoint never answers cannot take the worker: another is delivered within 5 s")
    func fairShareAndCircuitBreaker() async throws {
        let stack = try await TestStack.shared()
        let (_, slowKey) = try await stack.createMarketplace("Dead endpoint")
        let slowIntegration = try await stack.createWebhookIntegration(key: slowKey)
        let hang = "/hang/\(UUID().uuidString)"
        try await stack.createRule(key: slowKey, integrationID: slowIntegration.id, path: hang)
        let events = (0..<300).map { _ in TestStack.event(id: "evt_hang_\(UUID().uuidString)") }
        let batch = try await API.json(
            "POST", "\(stack.gatewayURL)/v1/events/batch", token: slowKey, body: ["events": events])
        #expect(batch.status == 200)

        let (_, key) = try await stack.createMarketplace("Healthy")
        let integration = try await stack.createWebhookIntegration(key: key)
        let path = "/ok/fair-\(UUID().uuidString)"
        try await stack.createRule(key: key, integrationID: integration.id, path: path)
        try await Task.sleep(for: .milliseconds(500))
        let started = ContinuousClock.now
        try await stack.publishAccepted(key: key, TestStack.event(id: "evt_fair_\(UUID().uuidString)"))
        let delivered = try await stack.receiver.waitForRequests(path: path, count: 1, timeout: .seconds(20))
        let elapsed = ContinuousClock.now - started
        #expect(delivered.count == 1)
        #expect(elapsed < .seconds(5), "the healthy merchant waited \(elapsed)")

        // Most of the dead endpoint's deliveries failed: its integration is paused, and its entries say so.
        var pausedReason = ""
        let deadline = ContinuousClock.now + .seconds(30)
        while pausedReason.isEmpty && ContinuousClock.now < deadline {
            let page = try await API.json("GET", "\(stack.logsURL)/v1/logs?limit=500", token: slowKey)
            let reasons = (page.object["entries"] as? [[String: Any]] ?? []).map { reason($0) }
            pausedReason = reasons.first { $0.hasPrefix("Paused: the endpoint failed") } ?? ""
            if pausedReason.isEmpty { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(pausedReason.contains("of its last 10 deliveries; next try at"), "no entry says it is paused")
        let metrics = stack.metricsURL(of: stack.webhookWorker, portKey: "SWITCHYARD_WEBHOOK_WORKER_PORT")
        #expect(try await TestStack.counter("switchyard_connector_circuit_opened_total", at: metrics) >= 1)
        #expect(stack.receiver.requests(path: hang).count < 100, "a paused endpoint is not hammered")
    }

    @Test(
        "while RabbitMQ blocks publishing, events answer 503 within a second and /health says why",
        .enabled(
            if: TestEnvironment.values["SWITCHYARD_TEST_RABBITMQCTL"] != nil, "needs SWITCHYARD_TEST_RABBITMQCTL"))
    func blockedBrokerAnswersQuickly() async throws {
        let stack = try await TestStack.shared()
        let ctl = try #require(TestEnvironment.values["SWITCHYARD_TEST_RABBITMQCTL"])
        let (_, key) = try await stack.createMarketplace()
        let integration = try await stack.createWebhookIntegration(key: key)
        let path = "/ok/blocked-\(UUID().uuidString)"
        try await stack.createRule(key: key, integrationID: integration.id, path: path)
        // Another merchant floods an endpoint that never answers: its commands over the fair share are being
        // deferred when publishing blocks. Those deferrals must not keep the worker's slots once it is over (they
        // once stayed unacked for good, and the next merchant's command waited behind them).
        let (_, floodKey) = try await stack.createMarketplace("Flooded")
        let flood = try await stack.createWebhookIntegration(key: floodKey)
        try await stack.createRule(key: floodKey, integrationID: flood.id, path: "/hang/blocked-\(UUID().uuidString)")
        let floodEvents = (0..<150).map { _ in TestStack.event(id: "evt_flood_\(UUID().uuidString)") }
        let floodBatch = try await API.json(
            "POST", "\(stack.gatewayURL)/v1/events/batch", token: floodKey, body: ["events": floodEvents])
        #expect(floodBatch.status == 200)
        try await Task.sleep(for: .seconds(1))
        try await TestEnvironment.runAsync(shell: "\(ctl) set_vm_memory_high_watermark 0.0000001")
        var restored = false
        defer { if !restored { try? TestEnvironment.run(shell: "\(ctl) set_vm_memory_high_watermark 0.4") } }
        try await Task.sleep(for: .seconds(2))
        let id = "evt_blocked_\(UUID().uuidString)"
        for attempt in 0..<3 {
            let started = ContinuousClock.now
            let response = try await stack.publish(key: key, TestStack.event(id: id))
            let elapsed = ContinuousClock.now - started
            #expect(response.status == 503, "attempt \(attempt): \(response.status) \(response.text)")
            #expect(response.headers.first(name: "retry-after") != nil)
            #expect(elapsed < .seconds(1), "attempt \(attempt) took \(elapsed)")
        }
        let health = try await API.raw("GET", "\(stack.gatewayURL)/health")
        #expect(health.status == 503)
        #expect(health.text.contains("blocks publishing"), "\(health.text)")

        try await TestEnvironment.runAsync(shell: "\(ctl) set_vm_memory_high_watermark 0.4")
        restored = true
        try await stack.waitUntilHealthy(timeout: .seconds(30))
        // The store retries the same id: accepted now, performed once.
        var accepted = false
        let deadline = ContinuousClock.now + .seconds(20)
        while !accepted && ContinuousClock.now < deadline {
            accepted = try await stack.publish(key: key, TestStack.event(id: id)).status == 202
            if !accepted { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(accepted)
        let entries = try await stack.finalEntries(key: key, eventID: id, count: 1)
        #expect(entries.first?["status"] as? String == "success")
        #expect(stack.receiver.requests(path: path).count == 1)
    }
}
}
