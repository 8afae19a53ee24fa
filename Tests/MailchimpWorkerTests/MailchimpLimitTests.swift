import Connectors
import Messages
import Pipeline
import ServiceRuntime
import Testing
import VendorFakes

@testable import MailchimpWorker

/// At most 10 requests in flight per Mailchimp account in a process, whatever the number of actions and integrations.
@Suite struct MailchimpLimitTests {
    @Test("30 concurrent actions of two integrations of one account never exceed 10 requests in flight")
    func thirtyConcurrentActions() async throws {
        try await MailchimpHarness.run { h in
            await h.fake.state.setLatency(.milliseconds(150))
            let results = await withTaskGroup(of: ActionResult.self) { group in
                for index in 0..<30 {
                    group.addTask {
                        await h.connector.perform(
                            h.command("add_to_list", h.newsletterDestination, email: "buyer\(index)@example.com"),
                            credentials: h.credentials(integrationID: index % 2 == 0 ? "int_1" : "int_2"))
                    }
                }
                var results: [ActionResult] = []
                for await result in group { results.append(result) }
                return results
            }
            #expect(
                results.filter { $0.verdict == .success }.count == 30,
                "\(results.filter { $0.verdict != .success }.map(\.reason))")
            #expect(results.allSatisfy { !$0.response.contains("429") })
            #expect(await h.fake.state.peakInFlight[h.account] == 10, "the limit is used, and never exceeded")
            var subscribed = 0
            for index in 0..<30 where await h.member("buyer\(index)@example.com")?.status == "subscribed" {
                subscribed += 1
            }
            #expect(subscribed == 30)
        }
    }

    /// Counts work in progress.
    actor Gauge {
        private(set) var now = 0
        private(set) var peak = 0

        func enter() {
            now += 1
            peak = max(peak, now)
        }

        func leave() { now -= 1 }
    }

    @Test("the limiter runs at most `limit` pieces of work per key; another key is not held up")
    func limiter() async throws {
        let limiter = KeyedLimiter(limit: 3)
        let gauge = Gauge()
        let seenByOtherKey = try await withThrowingTaskGroup(of: Int?.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await limiter.run(key: "account-a") {
                        await gauge.enter()
                        try await Task.sleep(for: .milliseconds(40))
                        await gauge.leave()
                    }
                    return nil
                }
            }
            try await Task.sleep(for: .milliseconds(10))
            group.addTask { try await limiter.run(key: "account-b") { await gauge.now } }
            var seen: Int?
            for try await value in group where value != nil { seen = value }
            return seen
        }
        #expect(await gauge.peak == 3)
        #expect(seenByOtherKey == 3, "account-b ran while account-a had its 3 slots busy")
    }
}
