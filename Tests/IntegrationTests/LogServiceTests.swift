import Foundation
import Testing

extension Integration {
    @Suite struct LogServiceTests {
        /// One page of `GET /v1/logs` with the given query string, written out as a client of the HTTP API would
        /// (the filters' parsing is under test); the page is read with the contract's model.
        static func search(
            _ stack: TestStack, key: String, _ query: String
        ) async throws -> (ids: [String], next: String?, status: Int) {
            let response = try await API.raw("GET", "\(stack.logsURL)/v1/logs?\(query)", token: key)
            guard response.status == 200 else { return ([], nil, response.status) }
            let page = try response.decoded(as: Logs.LogPage.self)
            return (page.entries.map(\.id), page.nextCursor, response.status)
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
                let entries = try await stack.client(key).logs.searchLogs(query: .init(limit: 500)).ok.body.json.entries
                if entries.count >= count, entries.allSatisfy(isFinal) { return }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw HarnessError("the log never held \(count) final entries")
        }

        static func publishBatch(_ stack: TestStack, key: String, _ events: [Gateway.TriggerEvent]) async throws {
            let answer = try await stack.client(key).gateway.publishEvents(body: .json(.init(events: events)))
            let results = try answer.ok.body.json.results
            let refused = results.filter { $0.status != .accepted }
            guard refused.isEmpty else { throw HarnessError("batch publish refused some events: \(refused)") }
        }

        @Test("each search filter, and combinations of them, return exactly the matching entries; bad values are 400s")
        func filters() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let started = Date().addingTimeInterval(-1)
            let integrationA = try await stack.createWebhookIntegration(key: key, label: "A")
            let integrationB = try await stack.createWebhookIntegration(key: key, label: "B")
            try await stack.createRule(
                key: key, integrationID: integrationA.id, path: "/ok/filters-\(UUID().uuidString)")
            try await stack.createRule(
                key: key, integrationID: integrationB.id, productID: "prod_b",
                path: "/notfound/filters-\(UUID().uuidString)")
            let e1 = "evt_f1_\(UUID().uuidString)"
            let e2 = "evt_f2_\(UUID().uuidString)"
            let e3 = "evt_f3_\(UUID().uuidString)"
            _ = try await stack.publish(key: key, TestStack.event(id: e1, product: "prod_a", email: "Jane@Example.com"))
            _ = try await stack.publish(key: key, TestStack.event(id: e2, product: "prod_b", email: "bob@example.com"))
            _ = try await stack.publish(
                key: key, TestStack.event(id: e3, type: .product_refunded, product: "prod_a", email: "jane@example.com")
            )
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
                ISO8601DateFormatter().string(from: date).addingPercentEncoding(withAllowedCharacters: .alphanumerics)
                    ?? ""
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
                TestStack.event(id: "evt_page_\($0)_\(UUID().uuidString)", type: .product_refunded)
            }
            try await Self.publishBatch(stack, key: key, before)
            try await Self.waitForEntries(stack, key: key, count: 30)
            let existing = Set(try await Self.all(stack, key: key))
            #expect(existing.count == 30)

            // Keep publishing while paging five at a time.
            let writer = Task {
                for round in 0..<8 {
                    let events = (0..<5).map {
                        TestStack.event(id: "evt_new_\(round)_\($0)_\(UUID().uuidString)", type: .product_refunded)
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
            let older = (0..<30).map {
                TestStack.event(id: "evt_old_\($0)_\(UUID().uuidString)", type: .product_refunded)
            }
            try await Self.publishBatch(stack, key: key, older)
            try await Self.waitForEntries(stack, key: key, count: 30)
            let newer = (0..<40).map {
                TestStack.event(id: "evt_new_\($0)_\(UUID().uuidString)", type: .product_refunded)
            }
            try await Self.publishBatch(stack, key: key, newer)
            try await Self.waitForEntries(stack, key: key, count: 70)
            let newest = Set(try await Self.all(stack, key: key)).count
            #expect(newest == 70)
            let few = (0..<5).map { _ in TestStack.event(type: .product_refunded) }
            try await Self.publishBatch(stack, key: smallKey, few)
            try await Self.waitForEntries(stack, key: smallKey, count: 5)

            // A log service that keeps 50 per marketplace (on its own queues, so it only prunes), pass every second.
            var environment = stack.logService.environment
            environment["SWITCHYARD_LOG_RETENTION"] = "50"
            environment["SWITCHYARD_LOG_RETENTION_INTERVAL"] = "1s"
            environment["SWITCHYARD_AMQP_PREFIX"] = "syprune\(UUID().uuidString.prefix(8))"
            environment[TestStack.portKey] = "\(TestStack.freePorts(1)[0])"
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
                let id = event.id
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
            let failed = try #require(
                try await stack.logEntries(key: key, eventID: eventID, timeout: .seconds(30)) {
                    $0.first.map(isFinal) ?? false
                }.first)
            #expect(failed.status == .failed)
            #expect(failed.attempts.count == 3)
            let id = failed.id

            // Another marketplace cannot replay it.
            let (_, other) = try await stack.createMarketplace()
            let otherLogs = try stack.client(other).logs
            #expect(
                try await refusal { try await otherLogs.replayLogEntry(path: .init(id: id)).accepted }.status == 404)

            stack.receiver.answer(path: path, status: 200)
            let logs = try stack.client(key).logs
            let replay = try await logs.replayLogEntry(path: .init(id: id)).accepted.body.json
            #expect(replay.attempt == 4)
            // Replaying again while the first replay is under way is refused.
            #expect(try await refusal { try await logs.replayLogEntry(path: .init(id: id)).accepted }.status == 409)

            let done = try #require(
                try await stack.logEntries(key: key, eventID: eventID, timeout: .seconds(20)) {
                    $0.first?.status == .success
                }.first)
            #expect(done.status == .success)
            #expect(done.attempts.count == 4)
            let outcomes = done.attempts.map(\.outcome)
            #expect(outcomes == ["transient_failure", "transient_failure", "transient_failure", "success"])
            let requests = stack.receiver.requests(path: path)
            #expect(requests.count == 4)
            #expect(Set(requests.map(\.id)) == [id], "the replay carries the entry's id as webhook-id")

            // A successful entry is not replayed.
            let refused = try await refusal { try await logs.replayLogEntry(path: .init(id: id)).accepted }
            #expect(refused.status == 409)
            #expect(refused.message.contains("success"))
        }

        @Test("replay of a skipped entry is refused with 409; of an unknown id with 404")
        func replayRefusals() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let eventID = "evt_skip_\(UUID().uuidString)"
            _ = try await stack.publish(key: key, TestStack.event(id: eventID, type: .product_refunded))
            let skipped = try #require(try await stack.logEntries(key: key, eventID: eventID) { !$0.isEmpty }.first)
            let logs = try stack.client(key).logs
            let response = try await refusal { try await logs.replayLogEntry(path: .init(id: skipped.id)).accepted }
            #expect(response.status == 409)
            #expect(response.code == "not_replayable")
            #expect(
                try await refusal { try await logs.replayLogEntry(path: .init(id: "log_nope")).accepted }.status == 404)
        }

        @Test("connecting an integration writes a 'connected' configuration log entry, visible to its marketplace only")
        func configurationLog() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let first = try await stack.createWebhookIntegration(key: key, label: "First")
            let second = try await stack.createWebhookIntegration(key: key, label: "Second")
            let logs = try stack.client(key).logs
            let entries = try await logs.listConfigLogs().ok.body.json.entries
            #expect(entries.map(\.integrationId) == [second.id, first.id], "newest first")
            #expect(entries.map(\.kind) == [.connected, .connected])
            #expect(entries.first?.integrationLabel == "Second")

            let page = try await logs.listConfigLogs(query: .init(limit: 1)).ok.body.json
            let cursor = try #require(page.nextCursor)
            let rest = try await logs.listConfigLogs(query: .init(limit: 1, cursor: cursor)).ok.body.json
            #expect(rest.entries.first?.integrationId == first.id)
            #expect(rest.nextCursor == nil)

            let (_, other) = try await stack.createMarketplace()
            #expect(try await stack.configLog(key: other).isEmpty)
            // Without an API key (raw: the typed client always sends one).
            #expect(try await API.raw("GET", "\(stack.logsURL)/v1/config-logs").status == 401)
        }
    }
}
