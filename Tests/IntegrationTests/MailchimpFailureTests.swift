import Foundation
import Testing
import VendorFakes

extension Integration {
    /// Mailchimp's refusals through the whole pipeline, one per class: permanent (not retried, explained), transient
    /// (retried until the app recovers) and a revoked credential (the integration needs reconnecting).
    @Suite struct MailchimpFailureTests {
        /// A connected integration on a fresh account with one audience and an add-to-list rule on it.
        struct Connected {
            var key: String
            var accountID: String
            var list: String
            var integrationID: String
        }

        func connectWithRule(_ stack: TestStack) async throws -> Connected {
            let (_, key) = try await stack.createMarketplace()
            let account = await stack.mailchimpAccount()
            let list = await stack.fakes.mailchimp.addAudience(account: account.id, name: "Newsletter")
            let integration = try await stack.connected(
                key: key, connector: "mailchimp", label: "Main", credentials: ["api_key": account.apiKey])
            let rule = try await stack.appRule(
                key: key, integrationID: integration.id, action: "add_to_list",
                destination: .init(kind: .list, name: "Newsletter"))
            #expect(rule.destination.id == list, "picked from the catalog")
            return Connected(key: key, accountID: account.id, list: list, integrationID: integration.id)
        }

        func attempts(_ entry: Logs.LogEntry) -> [String] {
            entry.attempts.map(\.outcome)
        }

        @Test("Member In Compliance State: failed at the first attempt, not retried, and explained")
        func complianceStateIsPermanent() async throws {
            let stack = try await TestStack.shared()
            let setup = try await connectWithRule(stack)
            let fake = stack.fakes.mailchimp
            let email = MailchimpPipelineTests.email()
            await fake.setMember(account: setup.accountID, list: setup.list, email: email, status: "unsubscribed")

            let entry = try await stack.purchase(key: setup.key, email: email)[0]
            #expect(entry.status == .failed, "\(entry)")
            #expect(
                reason(entry)
                    == "Mailchimp refused \(email): the address unsubscribed or bounced earlier and can't be re-added "
                    + "without their consent."
            )
            #expect(attempts(entry) == ["permanent_failure"])
            // Longer than both retry delays: nothing more is tried.
            try await Task.sleep(for: .seconds(3.5))
            let puts = await fake.requests(account: setup.accountID).filter {
                $0.hasPrefix("PUT /lists/\(setup.list)/members/")
            }
            #expect(puts.count == 1, "\(puts)")
            let later = try await stack.client(setup.key).logs.getLogEntry(path: .init(id: entry.id)).ok.body.json
            #expect(attempts(later) == ["permanent_failure"])
            #expect(
                await fake.member(account: setup.accountID, list: setup.list, email: email)?.status == "unsubscribed")
        }

        @Test("a transient 503 is retried and succeeds once Mailchimp recovers")
        func transientFailureIsRetried() async throws {
            let stack = try await TestStack.shared()
            let setup = try await connectWithRule(stack)
            let fake = stack.fakes.mailchimp
            await fake.failNext(account: setup.accountID, status: 503, count: 1)
            let email = MailchimpPipelineTests.email()

            let event = TestStack.event(type: .product_purchased, email: email)
            try await stack.publishAccepted(key: setup.key, event)
            let eventID = event.id
            // While the retry waits, the entry says so.
            let retrying = try await stack.logEntries(key: setup.key, eventID: eventID) {
                $0.first?.status == .retrying || $0.first.map(isFinal) == true
            }
            #expect(retrying.first?.status == .retrying, "\(retrying)")
            #expect(reason(retrying.first).contains("Mailchimp had a temporary problem (HTTP 503"), "\(retrying)")
            #expect(reason(retrying.first).contains("Retrying in 1s (attempt 2 of 3)"), "\(retrying)")

            let entry = try #require(try await stack.finalEntries(key: setup.key, eventID: eventID, count: 1).first)
            #expect(entry.status == .success, "\(entry)")
            #expect(attempts(entry) == ["transient_failure", "success"])
            #expect(await fake.member(account: setup.accountID, list: setup.list, email: email)?.status == "subscribed")
        }

        @Test(
            "revoked credentials: the action fails, the integration needs reconnecting, the configuration log says so")
        func revokedCredentials() async throws {
            let stack = try await TestStack.shared()
            let setup = try await connectWithRule(stack)
            await stack.fakes.mailchimp.revokeCredentials(account: setup.accountID)

            let entry = try await stack.purchase(key: setup.key, email: MailchimpPipelineTests.email())[0]
            #expect(entry.status == .failed, "\(entry)")
            #expect(attempts(entry) == ["permanent_failure"])
            #expect(reason(entry).contains("Mailchimp no longer accepts this integration's API key"), "\(entry)")
            #expect(reason(entry).contains("needs reconnecting"), "\(entry)")
            let client = try stack.client(setup.key)
            let integration = try await client.gateway.getIntegration(path: .init(id: setup.integrationID)).ok.body.json
            #expect(integration.status == .needsReconnect)

            let log = try await stack.configLog(key: setup.key)
            #expect(log.map(\.kind) == [.needsReconnect, .refreshed, .connected], "\(log)")
            #expect(log.allSatisfy { $0.integrationId == setup.integrationID })
            #expect(log.first?.message.contains("reconnect") == true, "\(log)")

            // A refresh now is refused the same way, and says what to do.
            let refresh = try await refusal {
                try await client.gateway.refreshIntegration(path: .init(id: setup.integrationID)).ok
            }
            #expect(refresh.status == 409, "\(refresh)")

            // The merchant pastes a new key: connected again, and the failed entry, replayed, succeeds with it.
            let newKey = await stack.fakes.mailchimp.issueAPIKey(account: setup.accountID)
            let reconnected = try await client.gateway.updateIntegration(
                path: .init(id: setup.integrationID),
                body: .json(.init(credentials: .init(additionalProperties: ["api_key": newKey])))
            ).ok.body.json
            #expect(reconnected.status == .connected)
            // `.accepted`: the replay is answered 202, or the call throws.
            _ = try await client.logs.replayLogEntry(path: .init(id: entry.id)).accepted
            let replayed = try await stack.logEntries(key: setup.key, eventID: entry.eventId) {
                $0.first?.status == .success
            }
            #expect(replayed.first?.status == .success, "\(replayed)")
            #expect(replayed.first.map(attempts) == ["permanent_failure", "success"])
            let email = entry.customerEmail
            let member = await stack.fakes.mailchimp.member(account: setup.accountID, list: setup.list, email: email)
            #expect(member?.status == "subscribed")
        }

        @Test("two Mailchimp workers share the load: every purchase performed exactly once, both workers busy")
        func twoWorkersShareTheLoad() async throws {
            let stack = try await TestStack.shared()
            let setup = try await connectWithRule(stack)
            let fake = stack.fakes.mailchimp
            let main = stack.metricsURL(of: stack.mailchimpWorker)
            let attemptsMetric = "switchyard_connector_attempts_total"
            let (emails, mainAttempts, extraAttempts) = try await stack.withExtraMailchimpWorker { extra in
                let extraURL = stack.metricsURL(of: extra)
                let before = try await TestStack.counter(attemptsMetric, at: main)
                // The extra worker answers /health once connected; its consumer may register a moment later. So
                // purchases go out in waves of 20 until it has taken some (at most 10 waves), and every one of them
                // must then have been performed exactly once.
                var emails: [String] = []
                for wave in 0..<10 {
                    var eventIDs: [String] = []
                    for number in 0..<20 {
                        let email = MailchimpPipelineTests.email("buyer\(wave)x\(number)")
                        let event = TestStack.event(type: .product_purchased, email: email)
                        try await stack.publishAccepted(key: setup.key, event)
                        emails.append(email)
                        eventIDs.append(event.id)
                    }
                    for eventID in eventIDs {
                        let entries = try await stack.finalEntries(
                            key: setup.key, eventID: eventID, count: 1, timeout: .seconds(60))
                        #expect(entries.first?.status == .success, "\(entries)")
                    }
                    if try await TestStack.counter(attemptsMetric, at: extraURL) > 0 { break }
                }
                for email in emails {
                    let member = await fake.member(account: setup.accountID, list: setup.list, email: email)
                    #expect(member?.status == "subscribed")
                }
                return (
                    emails,
                    try await TestStack.counter(attemptsMetric, at: main) - before,
                    try await TestStack.counter(attemptsMetric, at: extraURL)
                )
            }
            let puts = await fake.requests(account: setup.accountID).filter {
                $0.hasPrefix("PUT /lists/\(setup.list)/members/")
            }
            #expect(puts.count == emails.count, "one request per purchase, none twice")
            #expect(Set(puts).count == emails.count)
            #expect(
                mainAttempts + extraAttempts == Double(emails.count), "main \(mainAttempts), extra \(extraAttempts)")
            #expect(
                mainAttempts > 0 && extraAttempts > 0, "both did some: main \(mainAttempts), extra \(extraAttempts)")
            let peak = await fake.peakInFlight[setup.accountID] ?? 0
            #expect(peak <= MailchimpFakeState.concurrencyLimit, "never more than Mailchimp's 10 at once: \(peak)")
        }
    }
}
