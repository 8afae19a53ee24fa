import Foundation
import Testing

extension Integration {
    /// `prospect.created` fires after a delay (`SWITCHYARD_PROSPECT_DELAY`, a few seconds in tests), unless the
    /// customer bought the product meanwhile; the wait lives in the broker, so it survives a matcher crash.
    @Suite struct ProspectDelayTests {
        private func setUp(_ stack: TestStack) async throws -> (key: String, ruleID: String, path: String) {
            let (_, key) = try await stack.createMarketplace()
            let integration = try await stack.createWebhookIntegration(key: key)
            let path = "/ok/prospect-\(UUID().uuidString)"
            let ruleID = try await stack.createRule(
                key: key, integrationID: integration.id, trigger: .prospect_created, productID: "prod_course",
                path: path)
            return (key, ruleID, path)
        }

        /// The prospect's entry while it waits: pending, saying until when and on what condition.
        private func waitingEntry(_ stack: TestStack, key: String, eventID: String) async throws -> Logs.LogEntry {
            let entries = try await stack.logEntries(key: key, eventID: eventID) { !$0.isEmpty }
            return try #require(entries.first)
        }

        @Test("a prospect fires after the delay when the customer did not buy")
        func firesAfterDelay() async throws {
            let stack = try await TestStack.shared()
            let (key, ruleID, path) = try await setUp(stack)
            let prospect = TestStack.event(type: .prospect_created)
            let eventID = prospect.id
            let published = ContinuousClock.now
            try await stack.publishAccepted(key: key, prospect)

            let waiting = try await waitingEntry(stack, key: key, eventID: eventID)
            #expect(waiting.status == .pending)
            #expect(waiting.ruleId == ruleID)
            #expect(waiting.reason.contains("unless jane@example.com buys prod_course"))
            #expect(stack.receiver.requests(path: path).isEmpty, "nothing is sent before the delay")

            _ = try await stack.receiver.waitForRequests(path: path, count: 1, timeout: .seconds(30))
            let waited = ContinuousClock.now - published
            #expect(waited >= .seconds(TestStack.prospectDelaySeconds - 0.5), "fired after \(waited)")
            let entries = try await stack.finalEntries(key: key, eventID: eventID, count: 1)
            #expect(entries.first?.status == .success)
            #expect(entries.first?.id == waiting.id, "the pending entry is the one that fired")
        }

        @Test("a prospect is skipped, saying why, when the same customer bought the product meanwhile")
        func skippedWhenConverted() async throws {
            let stack = try await TestStack.shared()
            let (key, _, path) = try await setUp(stack)
            let abandoned = Date().addingTimeInterval(-60)
            let prospect = TestStack.event(type: .prospect_created, occurredAt: abandoned)
            // Another product's prospect of the same customer still fires: only the product bought counts.
            let otherIntegration = try await stack.createWebhookIntegration(key: key, label: "Other")
            let otherPath = "/ok/prospect-other-\(UUID().uuidString)"
            try await stack.createRule(
                key: key, integrationID: otherIntegration.id, trigger: .prospect_created, productID: "prod_other",
                path: otherPath)
            let otherProspect = TestStack.event(type: .prospect_created, product: "prod_other", occurredAt: abandoned)
            try await stack.publishAccepted(key: key, prospect)
            try await stack.publishAccepted(key: key, otherProspect)
            _ = try await waitingEntry(stack, key: key, eventID: prospect.id)

            // She buys it (her email in other case), after the cart was abandoned.
            let purchase = TestStack.event(
                type: .product_purchased, email: "JANE@Example.com", occurredAt: abandoned.addingTimeInterval(30),
                purchaseKind: .primary)
            try await stack.publishAccepted(key: key, purchase)
            _ = try await stack.logEntries(key: key, eventID: purchase.id) { !$0.isEmpty }

            let entries = try await stack.logEntries(key: key, eventID: prospect.id, timeout: .seconds(30)) {
                $0.first.map(isFinal) ?? false
            }
            #expect(entries.count == 1)
            #expect(entries.first?.status == .skipped)
            let reason = entries.first?.reason
            #expect(reason == "jane@example.com bought prod_course after the cart was abandoned")
            _ = try await stack.receiver.waitForRequests(path: otherPath, count: 1, timeout: .seconds(30))
            #expect(try await stack.settledCount(path: path) == 0)
        }

        @Test("a purchase from before the cart was abandoned does not cancel the prospect")
        func earlierPurchaseDoesNotCount() async throws {
            let stack = try await TestStack.shared()
            let (key, _, path) = try await setUp(stack)
            let abandoned = Date()
            let purchase = TestStack.event(
                type: .product_purchased, occurredAt: abandoned.addingTimeInterval(-3600), purchaseKind: .primary)
            try await stack.publishAccepted(key: key, purchase)
            _ = try await stack.logEntries(key: key, eventID: purchase.id) { !$0.isEmpty }
            let prospect = TestStack.event(type: .prospect_created, occurredAt: abandoned)
            try await stack.publishAccepted(key: key, prospect)
            _ = try await stack.receiver.waitForRequests(path: path, count: 1, timeout: .seconds(30))
            let entries = try await stack.finalEntries(key: key, eventID: prospect.id, count: 1)
            #expect(entries.first?.status == .success)
        }

        @Test("a rule disabled while its prospect waits does not fire, and its pending entry is closed saying why")
        func ruleDisabledDuringWait() async throws {
            let stack = try await TestStack.shared()
            let (key, ruleID, path) = try await setUp(stack)
            let prospect = TestStack.event(type: .prospect_created)
            let eventID = prospect.id
            try await stack.publishAccepted(key: key, prospect)
            #expect(try await waitingEntry(stack, key: key, eventID: eventID).status == .pending)
            #expect(try await stack.changeRule(key: key, id: ruleID, .init(enabled: false)).enabled == false)

            let entries = try await stack.logEntries(key: key, eventID: eventID, timeout: .seconds(30)) {
                $0.first.map(isFinal) ?? false
            }
            #expect(entries.count == 1)
            #expect(entries.first?.status == .skipped)
            let reason = entries.first?.reason
            #expect(reason == "the rule was disabled, changed or deleted while the prospect waited")
            #expect(try await stack.settledCount(path: path) == 0)
        }

        @Test("a prospect that no rule matches is skipped at once")
        func unmatchedProspectIsSkippedAtOnce() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let prospect = TestStack.event(type: .prospect_created)
            try await stack.publishAccepted(key: key, prospect)
            let entries = try await stack.logEntries(key: key, eventID: prospect.id, timeout: .seconds(2)) {
                !$0.isEmpty
            }
            #expect(entries.first?.status == .skipped)
            #expect(entries.first?.reason == "no rule matches")
        }

        @Test("a prospect still fires when the matcher was killed and restarted during the delay")
        func survivesMatcherCrash() async throws {
            let stack = try await TestStack.shared()
            let (key, _, path) = try await setUp(stack)
            let prospect = TestStack.event(type: .prospect_created)
            let eventID = prospect.id
            try await stack.publishAccepted(key: key, prospect)
            let waiting = try await waitingEntry(stack, key: key, eventID: eventID)
            #expect(waiting.status == .pending)

            stack.matcher.kill9()
            try stack.matcher.start()
            try await stack.waitUntilHealthy(timeout: .seconds(60))

            _ = try await stack.receiver.waitForRequests(path: path, count: 1, timeout: .seconds(30))
            let entries = try await stack.finalEntries(key: key, eventID: eventID, count: 1)
            #expect(entries.first?.status == .success)
            #expect(try await stack.settledCount(path: path) == 1, "fired exactly once")
        }
    }
}
