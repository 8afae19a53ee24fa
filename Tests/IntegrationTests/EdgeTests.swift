import APIClient
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
            let gateway = try stack.client(key).gateway
            // The stack allows 127.0.0.1/32 (its receivers); every other internal address stays closed.
            for url in [
                "http://169.254.169.254/latest/meta-data", "http://10.0.0.5:9200/", "http://[::1]:15672/",
                "http://127.0.0.2:8081/v1/logs", "http://[::ffff:169.254.169.254]/", "http://100.64.0.1/",
            ] {
                var rule = stack.ruleInput(integrationID: integration.id, path: "/ok/x")
                rule.destination = .init(kind: .url, name: url)
                let refused = try await refusal { try await gateway.createRule(body: .json(rule)).created }
                #expect(refused.status == 400, "\(url): \(refused)")
                #expect(refused.field == "destination.name")
            }
            var allowed = stack.ruleInput(integrationID: integration.id, path: "/ok/x")
            allowed.destination = .init(kind: .url, name: "http://127.0.0.1:1/allowed")
            let created = try await gateway.createRule(body: .json(allowed)).created.body.json
            #expect(created.destination.name == "http://127.0.0.1:1/allowed", "the operator's allow-list is honoured")

            // A command that names a refused address (saved before the policy, or crafted) is not sent at all.
            var command = stack.webhookCommand(
                marketplaceID: marketplaceID, integrationID: integration.id, path: "/ok/x")
            command.rule.destination.name = "http://127.0.0.2:\(stack.receiver.port)/ok/internal"
            try await stack.publishCommand(command)
            let entries = try await stack.logEntries(key: key, eventID: command.event.id) {
                $0.first.map(isFinal) ?? false
            }
            #expect(entries.first?.status == .failed)
            #expect(reason(entries.first).contains("127.0.0.2 is a loopback address"), "\(reason(entries.first))")
            let attempt = entries.first?.attempts.first
            #expect(attempt == nil || attempt?.response == "not sent")
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
            #expect(fast.first?.status == .success)

            // The stack's webhook timeout is 3 s: the attempt ends then, whatever the body is still doing.
            let slow = try await stack.logEntries(key: slowKey, eventID: slowID, timeout: .seconds(10)) { entries in
                [.retrying, .failed].contains(entries.first?.status)
            }
            let elapsed = ContinuousClock.now - started
            #expect([.retrying, .failed].contains(slow.first?.status), "\(slow)")
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
            let client = try stack.client(key)
            let outageEnds = ContinuousClock.now + .seconds(18)
            while ContinuousClock.now < outageEnds {
                let id = "evt_db_\(UUID().uuidString)"
                let event = TestStack.event(id: id)
                let calls: [(String, () async throws -> APIRefusal)] = [
                    (
                        "POST /v1/events",
                        {
                            try await refusal { try await client.gateway.publishEvent(body: .json(event)).accepted }
                        }
                    ),
                    ("GET /v1/rules", { try await refusal { try await client.gateway.listRules().ok } }),
                    ("GET /v1/logs", { try await refusal { try await client.logs.searchLogs().ok } }),
                    ("GET /v1/integrations", { try await refusal { try await client.gateway.listIntegrations().ok } }),
                ]
                for (name, call) in calls {
                    let started = ContinuousClock.now
                    let refused = try await call()
                    let elapsed = ContinuousClock.now - started
                    #expect(refused.status == 503, "\(name): \(refused)")
                    #expect(refused.retryAfter != nil)
                    #expect(elapsed < .seconds(1), "\(name) took \(elapsed)")
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
                let answer = try await stack.publish(key: key, TestStack.event(id: id))
                #expect(answer.eventId == id, "\(answer)")
            }
            for id in refusedIDs {
                let entries = try await stack.finalEntries(key: key, eventID: id, count: 1, timeout: .seconds(30))
                #expect(entries.first?.status == .success)
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
            let entryID = try #require(entries.first?.id)
            let b = try stack.client(keyB)
            let calls: [(String, () async throws -> APIRefusal)] = [
                (
                    "GET /v1/integrations/{id}",
                    {
                        try await refusal { try await b.gateway.getIntegration(path: .init(id: integration.id)).ok }
                    }
                ),
                (
                    "PATCH /v1/integrations/{id}",
                    {
                        try await refusal {
                            try await b.gateway.updateIntegration(
                                path: .init(id: integration.id), body: .json(.init(label: "taken over"))
                            ).ok
                        }
                    }
                ),
                (
                    "POST /v1/integrations/{id}/refresh",
                    {
                        try await refusal { try await b.gateway.refreshIntegration(path: .init(id: integration.id)).ok }
                    }
                ),
                (
                    "GET /v1/integrations/{id}/catalog?kind=tag",
                    {
                        try await refusal {
                            try await b.gateway.searchCatalog(path: .init(id: integration.id), query: .init(kind: .tag))
                                .ok
                        }
                    }
                ),
                (
                    "DELETE /v1/integrations/{id}?cascade=true",
                    {
                        try await refusal {
                            try await b.gateway.deleteIntegration(
                                path: .init(id: integration.id), query: .init(cascade: true)
                            )
                            .noContent
                        }
                    }
                ),
                (
                    "GET /v1/rules/{id}",
                    { try await refusal { try await b.gateway.getRule(path: .init(id: ruleID)).ok } }
                ),
                (
                    "PATCH /v1/rules/{id}",
                    {
                        try await refusal {
                            try await b.gateway.updateRule(path: .init(id: ruleID), body: .json(.init(enabled: false)))
                                .ok
                        }
                    }
                ),
                (
                    "DELETE /v1/rules/{id}",
                    {
                        try await refusal { try await b.gateway.deleteRule(path: .init(id: ruleID)).noContent }
                    }
                ),
                (
                    "GET /v1/logs/{id}",
                    { try await refusal { try await b.logs.getLogEntry(path: .init(id: entryID)).ok } }
                ),
                (
                    "POST /v1/logs/{id}/replay",
                    {
                        try await refusal { try await b.logs.replayLogEntry(path: .init(id: entryID)).accepted }
                    }
                ),
            ]
            for (name, call) in calls {
                let refused = try await call()
                #expect(refused.status == 404, "\(name) as B: \(refused)")
            }
            let foreign = stack.ruleInput(integrationID: integration.id, path: "/ok/b")
            let borrowed = try await refusal { try await b.gateway.createRule(body: .json(foreign)).created }
            #expect(borrowed.status == 400 && borrowed.field == "integration_id", "\(borrowed)")
            let bulk = try await b.logs.replayLogEntries(query: .init(integrationId: integration.id)).accepted.body.json
            #expect(bulk.queued == 0)
            let search = try await b.logs.searchLogs(query: .init(eventId: eventID)).ok.body.json
            #expect(search.entries.isEmpty)

            // A's things are as they were.
            let a = try stack.client(keyA)
            let mine = try await a.gateway.getIntegration(path: .init(id: integration.id)).ok.body.json
            #expect(mine.label == "A's receiver")
            let rule = try await a.gateway.getRule(path: .init(id: ruleID)).ok.body.json
            #expect(rule.enabled == true)
            let entry = try await a.logs.getLogEntry(path: .init(id: entryID)).ok.body.json
            #expect(entry.status == .failed, "B's replay must not have touched it")
        }

        @Test(
            "made-up API keys cost no database query each: malformed ones none, repeated ones one, a flood is limited")
        func unknownKeysAreCheap() async throws {
            let stack = try await TestStack.shared()
            let metrics = stack.metricsURL(of: stack.gateway)
            let url = "\(stack.gatewayURL)/v1/rules"
            let before = try await TestStack.counter("switchyard_auth_key_lookups_total", at: metrics)
            for n in 0..<100 {
                #expect(try await API.raw("GET", url, token: "sy_live_guess\(n)").status == 401)
            }
            let afterMalformed = try await TestStack.counter("switchyard_auth_key_lookups_total", at: metrics)
            #expect(afterMalformed == before, "a key that cannot be ours was looked up")
            let wellFormed = "sy_live_" + String(repeating: "A", count: 43)
            for _ in 0..<50 { #expect(try await API.raw("GET", url, token: wellFormed).status == 401) }
            let afterRepeated = try await TestStack.counter("switchyard_auth_key_lookups_total", at: metrics)
            #expect(afterRepeated - afterMalformed == 1, "an unknown key is remembered as unknown")
            // 300 different well-formed keys at once: at most the lookup budget (50 a second) reaches the database.
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<300 {
                    group.addTask {
                        let key =
                            "sy_live_" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(32))
                            + String(repeating: "b", count: 11)
                        return try await API.raw("GET", url, token: key).status
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
            #expect(
                try await stack.client(key).gateway.listRules().ok.body.json.rules.isEmpty, "a real key still works")
        }

        @Test("a merchant whose endpoint never answers cannot take the worker: another is delivered within 5 s")
        func fairShareAndCircuitBreaker() async throws {
            let stack = try await TestStack.shared()
            let (_, slowKey) = try await stack.createMarketplace("Dead endpoint")
            let slowIntegration = try await stack.createWebhookIntegration(key: slowKey)
            let hang = "/hang/\(UUID().uuidString)"
            try await stack.createRule(key: slowKey, integrationID: slowIntegration.id, path: hang)
            let events = (0..<300).map { _ in TestStack.event(id: "evt_hang_\(UUID().uuidString)") }
            let batch = try await stack.client(slowKey).gateway.publishEvents(body: .json(.init(events: events)))
                .ok.body.json
            #expect(batch.results.count == events.count)

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
            let slowLogs = try stack.client(slowKey).logs
            let deadline = ContinuousClock.now + .seconds(30)
            while pausedReason.isEmpty && ContinuousClock.now < deadline {
                let page = try await slowLogs.searchLogs(query: .init(limit: 500)).ok.body.json
                let reasons = page.entries.map { reason($0) }
                pausedReason = reasons.first { $0.hasPrefix("Paused: the endpoint failed") } ?? ""
                if pausedReason.isEmpty { try await Task.sleep(for: .milliseconds(500)) }
            }
            #expect(pausedReason.contains("of its last 10 deliveries; next try at"), "no entry says it is paused")
            let metrics = stack.metricsURL(of: stack.webhookWorker)
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
            try await stack.createRule(
                key: floodKey, integrationID: flood.id, path: "/hang/blocked-\(UUID().uuidString)")
            let floodEvents = (0..<150).map { _ in TestStack.event(id: "evt_flood_\(UUID().uuidString)") }
            let floodBatch = try await stack.client(floodKey).gateway.publishEvents(
                body: .json(.init(events: floodEvents))
            )
            .ok.body.json
            #expect(floodBatch.results.count == floodEvents.count)
            try await Task.sleep(for: .seconds(1))
            try await TestEnvironment.runAsync(shell: "\(ctl) set_vm_memory_high_watermark 0.0000001")
            var restored = false
            defer { if !restored { try? TestEnvironment.run(shell: "\(ctl) set_vm_memory_high_watermark 0.4") } }
            try await Task.sleep(for: .seconds(2))
            let id = "evt_blocked_\(UUID().uuidString)"
            for attempt in 0..<3 {
                let started = ContinuousClock.now
                let refused = try await refusal { try await stack.publish(key: key, TestStack.event(id: id)) }
                let elapsed = ContinuousClock.now - started
                #expect(refused.status == 503, "attempt \(attempt): \(refused)")
                #expect(refused.retryAfter != nil)
                #expect(elapsed < .seconds(1), "attempt \(attempt) took \(elapsed)")
            }
            let health = try await API.raw("GET", "\(stack.gatewayURL)/health")
            #expect(health.status == 503)
            let reasons = try health.decoded(as: Gateway.Health.self).reasons ?? []
            #expect(reasons.contains { $0.contains("blocks publishing") }, "\(health.text)")

            try await TestEnvironment.runAsync(shell: "\(ctl) set_vm_memory_high_watermark 0.4")
            restored = true
            try await stack.waitUntilHealthy(timeout: .seconds(30))
            // The store retries the same id: accepted now, performed once.
            var accepted = false
            let deadline = ContinuousClock.now + .seconds(20)
            while !accepted && ContinuousClock.now < deadline {
                do {
                    try await stack.publish(key: key, TestStack.event(id: id))
                    accepted = true
                } catch {
                    // Refused again (still 503): the store waits and retries.
                    guard APIRefusal(error) != nil else { throw error }
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
            #expect(accepted)
            let entries = try await stack.finalEntries(key: key, eventID: id, count: 1)
            #expect(entries.first?.status == .success)
            #expect(stack.receiver.requests(path: path).count == 1)
        }
    }
}
