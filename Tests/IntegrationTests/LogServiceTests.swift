import Foundation
import Testing

extension Integration {
@Suite struct LogServiceTests {
    /// One page of `GET /v1/logs` with the given query string.
    static func search(
        _ stack: TestStack, key: String, _ query: String
    ) async throws -> (ids: [String], next: String?, status: Int) {
        let response = try await API.json("GET", "\(stack.logsURL)/v1/logs?\(query)", token: key)
        let entries = response.object["entries"] as? [[String: Any]] ?? []
        return (entries.compactMap { $0["id"] as? String }, response.object["next_cursor"] as? String, response.status)
    }

    /// Every entry id of a search, following cursors.
    static func all(
        _ stack: TestStack, key: String, _ query: String = "", pageSize: Int = 500
    ) async throws -> [String] {
        var ids: [String] = []
        var cursor: String?
        repeat {
            let suffix = cursor.map { "&cursor=\($0)" } ?? ""
            let page = try await search(stack, key: key, "limit=\(pageSize)&\(query)\(suffix)")
            ids += page.ids
            cursor = page.next
        } while cursor != nil
        return ids
    }

    /// Waits until the marketplace's log holds `count` entries, all final.
    static func waitForEntries(
        _ stack: TestStack, key: String, count: Int, timeout: Duration = .seconds(30)
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let response = try await API.json("GET", "\(stack.logsURL)/v1/logs?limit=500", token: key)
            let entries = response.object["entries"] as? [[String: Any]] ?? []
            if entries.count >= count, entries.allSatisfy(isFinal) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HarnessError("the log never held \(count) final entries")
    }

    static func publishBatch(_ stack: TestStack, key: String, _ events: [[String: Any]]) async throws {
        let response = try await API.json(
            "POST", "\(stack.gatewayURL)/v1/events/batch", token: key, body: ["events": events])
        guard response.status == 200 || response.status == 202 else {
            throw HarnessError("batch publish answered \(response.status): \(response.text)")
        }
    }

    @Test("each search filter, and combinations of them, return exactly the matching entries; bad values are 400s")
    func filters() async throws {
        let stack = try await TestStack.shared()
        let (_, key) = try await stack.createMarketplace()
        let started = Date().addingTimeInterval(-1)
        let integrationA = try await stack.createWebhookIntegration(key: key, label: "A")
        let integrationB = try await stack.createWebhookIntegration(key: key, label: "B")
        try await stack.createRule(key: key, integrationID: integrationA.id, path: "/ok/filters-\(UUID().uuidString)")
        try await stack.createRule(
            key: key, integrationID: integrationB.id, productID: "prod_b",
            path: "/notfound/filters-\(UUID().uuidString)")
        let e1 = "evt_f1_\(UUID().uuidString)"
        let e2 = "evt_f2_\(UUID().uuidString)"
        let e3 = "evt_f3_\(UUID().uuidString)"
        _ = try await stack.publish(key: key, TestStack.event(id: e1, product: "prod_a", email: "Jane@Example.com"))
        _ = try await stack.publish(key: key, TestStack.event(id: e2, product: "prod_b", email: "bob@example.com"))
        _ = try await stack.publish(
            key: key, TestStack.event(id: e3, type: "product.refunded", product: "prod_a", email: "jane@example.com"))
        try await Self.waitForEntries(stack, key: key, count: 4)
        let ended = Date().addingTimeInterval(1)

        func count(_ query: String) async throws -> Int { try await Self.all(stack, key: key, query).count }
        #expect(try await count("") == 4)
        #expect(try await count("email=JANE%40EXAMPLE.COM") == 2, "email matches case-insensitively")
        #expect(try await count("email=nobody%40example.com") == 0)
        #expect(try await count("trigger=product.refunded") == 1)
        #expect(try await count("trigger=product.purchased") == 3)
        #expect(try await count("status=success") == 2)
        #expect(try await count("status=failed") == 1)
        #expect(try await count("status=skipped") == 1)
        #expect(try await count("status=retrying") == 0)
        #expect(try await count("integration_id=\(integrationA.id)") == 2)
        #expect(try await count("integration_id=\(integrationB.id)") == 1)
        #expect(try await count("product_id=prod_a") == 2)
        #expect(try await count("product_id=prod_b") == 2)
        #expect(try await count("event_id=\(e2)") == 2)
        #expect(try await count("event_id=\(e1)") == 1)
        // Combinations narrow each other.
        #expect(try await count("email=bob%40example.com&status=success") == 1)
        #expect(try await count("email=jane%40example.com&trigger=product.purchased") == 1)
        #expect(try await count("product_id=prod_b&integration_id=\(integrationA.id)") == 1)
        #expect(try await count("product_id=prod_b&status=failed&event_id=\(e2)") == 1)
        #expect(try await count("event_id=\(e3)&status=success") == 0)
        // Time ranges: since is inclusive, until exclusive.
        let format = { (date: Date) in
            ISO8601DateFormatter().string(from: date).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        }
        #expect(try await count("since=\(format(started))&until=\(format(ended))") == 4)
        #expect(try await count("since=\(format(ended))") == 0)
        #expect(try await count("until=\(format(started))") == 0)
        #expect(try await count("since=\(format(started))&status=failed") == 1)

        // Newest first, one at a time: the cursor walks all four without repeats.
        let single = try await Self.all(stack, key: key, pageSize: 1)
        #expect(single.count == 4)
        #expect(Set(single).count == 4)
        #expect(single == (try await Self.all(stack, key: key)))

        let badStatus = try await API.json("GET", "\(stack.logsURL)/v1/logs?status=lost", token: key)
        #expect(badStatus.status == 400)
        #expect(badStatus.errorField == "status")
        let badTime = try await API.json("GET", "\(stack.logsURL)/v1/logs?since=yesterday", token: key)
        #expect(badTime.status == 400)
        #expect(badTime.errorField == "since")
        let badCursor = try await API.json("GET", "\(stack.logsURL)/v1/logs?cursor=nonsense", token: key)
        #expect(badCursor.status == 400)
        #expect(badCursor.errorField == "cursor")

        // Another marketplace sees none of it, whatever it filters by.
        let (_, other) = try await stack.createMarketplace()
        #expect(try await Self.all(stack, key: other, "").isEmpty)
        #expect(try await Self.all(stack, key: other, "event_id=\(e2)").isEmpty)
        #expect(try await Self.all(stack, key: other, "integration_id=\(integrationA.id)").isEmpty)
    }

    @Test("paging through the log while new entries arrive neither repeats nor drops an entry")
    func paginationWhileWriting() async throws {
        let stack = try await TestStack.shared()
        let (_, key) = try await stack.createMarketplace()
        let before = (0..<30).map {
            TestStack.event(id: "evt_page_\($0)_\(UUID().uuidString)", type: "product.refunded")
        }
        try await Self.publishBatch(stack, key: key, before)
        try await Self.waitForEntries(stack, key: key, count: 30)
        let existing = Set(try await Self.all(stack, key: key))
        #expect(existing.count == 30)

        // Keep publishing while paging five at a time.
        let writer = Task {
            for round in 0..<8 {
                let events = (0..<5).map {
                    TestStack.event(id: "evt_new_\(round)_\($0)_\(UUID().uuidString)", type: "product.refunded")
                }
                try await Self.publishBatch(stack, key: key, events)
                try await Task.sleep(for: .milliseconds(40))
            }
        }
        var seen: [String] = []
        var cursor: String?
        repeat {
            let suffix = cursor.map { "&cursor=\($0)" } ?? ""
            let page = try await Self.search(stack, key: key, "limit=5\(suffix)")
            #expect(page.status == 200)
            seen += page.ids
            cursor = page.next
            try await Task.sleep(for: .milliseconds(30))
        } while cursor != nil
        try await writer.value
        #expect(seen.count == Set(seen).count, "no entry appears twice")
        #expect(existing.isSubset(of: Set(seen)), "every entry that existed before paging was seen")
    }

    @Test("retention keeps exactly the newest N entries of a marketplace and leaves smaller ones alone")
    func retention() async throws {
        let stack = try await TestStack.shared()
        let (_, key) = try await stack.createMarketplace()
        let (_, smallKey) = try await stack.createMarketplace()
        let older = (0..<30).map { TestStack.event(id: "evt_old_\($0)_\(UUID().uuidString)", type: "product.refunded") }
        try await Self.publishBatch(stack, key: key, older)
        try await Self.waitForEntries(stack, key: key, count: 30)
        let newer = (0..<40).map { TestStack.event(id: "evt_new_\($0)_\(UUID().uuidString)", type: "product.refunded") }
        try await Self.publishBatch(stack, key: key, newer)
        try await Self.waitForEntries(stack, key: key, count: 70)
        let newest = Set(try await Self.all(stack, key: key)).count
        #expect(newest == 70)
        let few = (0..<5).map { _ in TestStack.event(type: "product.refunded") }
        try await Self.publishBatch(stack, key: smallKey, few)
        try await Self.waitForEntries(stack, key: smallKey, count: 5)

        // A log service that keeps 50 per marketplace (on its own queues, so it only prunes), pass every second.
        var environment = stack.logService.environment
        environment["SWITCHYARD_LOG_RETENTION"] = "50"
        environment["SWITCHYARD_LOG_RETENTION_INTERVAL"] = "1s"
        environment["SWITCHYARD_AMQP_PREFIX"] = "syprune\(UUID().uuidString.prefix(8))"
        environment["SWITCHYARD_LOGS_PORT"] = "\(TestStack.freePorts(1)[0])"
        let pruner = ServiceProcess(
            name: "switchyard-log-service", environment: environment, logDirectory: stack.logService.logDirectory)
        try pruner.start()
        defer { pruner.terminate() }

        let deadline = ContinuousClock.now + .seconds(30)
        var remaining = try await Self.all(stack, key: key)
        while remaining.count > 50, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(300))
            remaining = try await Self.all(stack, key: key)
        }
        #expect(remaining.count == 50)
        // The 40 newer events all kept their entries; 10 of the 30 older ones survive.
        for event in newer {
            let id = try #require(event["id"] as? String)
            #expect(try await Self.all(stack, key: key, "event_id=\(id)").count == 1)
        }
        try await Task.sleep(for: .seconds(2))
        #expect(try await Self.all(stack, key: key).count == 50, "pruning stops at N")
        #expect(try await Self.all(stack, key: smallKey).count == 5)
    }

    @Test("a failed webhook is replayed once the receiver is back: the entry shows every attempt and ends success")
    func replayFailedDelivery() async throws {
        let stack = try await TestStack.shared()
        let (_, key) = try await stack.createMarketplace()
        let integration = try await stack.createWebhookIntegration(key: key)
        let path = "/switch/\(UUID().uuidString)"
        try await stack.createRule(key: key, integrationID: integration.id, path: path)
        let eventID = "evt_replay_\(UUID().uuidString)"
        _ = try await stack.publish(key: key, TestStack.event(id: eventID))
        let failed = try #require(try await stack.logEntries(key: key, eventID: eventID, timeout: .seconds(30)) {
            $0.first.map(isFinal) ?? false
        }.first)
        #expect(failed["status"] as? String == "failed")
        #expect((failed["attempts"] as? [[String: Any]])?.count == 3)
        let id = try #require(failed["id"] as? String)

        // Another marketplace cannot replay it.
        let (_, other) = try await stack.createMarketplace()
        #expect(try await API.json("POST", "\(stack.logsURL)/v1/logs/\(id)/replay", token: other).status == 404)

        stack.receiver.answer(path: path, status: 200)
        let replay = try await API.json("POST", "\(stack.logsURL)/v1/logs/\(id)/replay", token: key)
        #expect(replay.status == 202)
        #expect(replay.object["attempt"] as? Int == 4)
        // Replaying again while the first replay is under way is refused.
        let again = try await API.json("POST", "\(stack.logsURL)/v1/logs/\(id)/replay", token: key)
        #expect(again.status == 409)

        let done = try #require(try await stack.logEntries(key: key, eventID: eventID, timeout: .seconds(20)) {
            $0.first?["status"] as? String == "success"
        }.first)
        #expect(done["status"] as? String == "success")
        let attempts = try #require(done["attempts"] as? [[String: Any]])
        #expect(attempts.count == 4)
        let outcomes = attempts.map { $0["outcome"] as? String }
        #expect(outcomes == ["transient_failure", "transient_failure", "transient_failure", "success"])
        let requests = stack.receiver.requests(path: path)
        #expect(requests.count == 4)
        #expect(Set(requests.map(\.id)) == [id], "the replay carries the entry's id as webhook-id")

        // A successful entry is not replayed.
        let refused = try await API.json("POST", "\(stack.logsURL)/v1/logs/\(id)/replay", token: key)
        #expect(refused.status == 409)
        #expect(((refused.object["error"] as? [String: Any])?["message"] as? String)?.contains("success") == true)
    }

    @Test("replay of a skipped entry is refused with 409; of an unknown id with 404")
    func replayRefusals() async throws {
        let stack = try await TestStack.shared()
        let (_, key) = try await stack.createMarketplace()
        let eventID = "evt_skip_\(UUID().uuidString)"
        _ = try await stack.publish(key: key, TestStack.event(id: eventID, type: "product.refunded"))
        let skipped = try #require(try await stack.logEntries(key: key, eventID: eventID) { !$0.isEmpty }.first)
        let id = try #require(skipped["id"] as? String)
        let response = try await API.json("POST", "\(stack.logsURL)/v1/logs/\(id)/replay", token: key)
        #expect(response.status == 409)
        #expect(((response.object["error"] as? [String: Any])?["code"] as? String) == "not_replayable")
        #expect(try await API.json("POST", "\(stack.logsURL)/v1/logs/log_nope/replay", token: key).status == 404)
    }

    @Test("connecting an integration writes a 'connected' configuration log entry, visible to its marketplace only")
    func configurationLog() async throws {
        let stack = try await TestStack.shared()
        let (_, key) = try await stack.createMarketplace()
        let first = try await stack.createWebhookIntegration(key: key, label: "First")
        let second = try await stack.createWebhookIntegration(key: key, label: "Second")
        let response = try await API.json("GET", "\(stack.logsURL)/v1/config-logs", token: key)
        #expect(response.status == 200)
        let entries = try #require(response.object["entries"] as? [[String: Any]])
        #expect(entries.map { $0["integration_id"] as? String } == [second.id, first.id], "newest first")
        #expect(entries.map { $0["kind"] as? String } == ["connected", "connected"])
        #expect(entries.first?["integration_label"] as? String == "Second")

        let page = try await API.json("GET", "\(stack.logsURL)/v1/config-logs?limit=1", token: key)
        let cursor = try #require(page.object["next_cursor"] as? String)
        let rest = try await API.json("GET", "\(stack.logsURL)/v1/config-logs?limit=1&cursor=\(cursor)", token: key)
        #expect((rest.object["entries"] as? [[String: Any]])?.first?["integration_id"] as? String == first.id)
        #expect(rest.object["next_cursor"] == nil || rest.object["next_cursor"] is NSNull)

        let (_, other) = try await stack.createMarketplace()
        let otherLog = try await API.json("GET", "\(stack.logsURL)/v1/config-logs", token: other)
        #expect((otherLog.object["entries"] as? [Any])?.isEmpty == true)
        #expect(try await API.json("GET", "\(stack.logsURL)/v1/config-logs").status == 401)
    }
}
}
