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
        let id = try #require(integration["id"] as? String)
        let rule = try await stack.appRule(
            key: key, integrationID: id, action: "add_to_list", destination: ["kind": "list", "name": "Newsletter"])
        #expect((rule["destination"] as? [String: Any])?["id"] as? String == list, "picked from the catalog")
        return Connected(key: key, accountID: account.id, list: list, integrationID: id)
    }

    func attempts(_ entry: [String: Any]) -> [String] {
        (entry["attempts"] as? [[String: Any]] ?? []).compactMap { $0["outcome"] as? String }
    }

    @Test("Member In Compliance State: failed at the first attempt, not retried, and explained")
    func complianceStateIsPermanent() async throws {
        let stack = try await TestStack.shared()
        let setup = try await connectWithRule(stack)
        let fake = stack.fakes.mailchimp
        let email = MailchimpPipelineTests.email()
        await fake.setMember(account: setup.accountID, list: setup.list, email: email, status: "unsubscribed")

        let entry = try await stack.purchase(key: setup.key, email: email)[0]
        #expect(entry["status"] as? String == "failed", "\(entry)")
        #expect(
            reason(entry)
                == "Mailchimp refused \(email): the address unsubscribed or bounced earlier and can't be re-added without their consent."
        )
        #expect(attempts(entry) == ["permanent_failure"])
        // Longer than both retry delays: nothing more is tried.
        try await Task.sleep(for: .seconds(3.5))
        let puts = await fake.requests(account: setup.accountID).filter { $0.hasPrefix("PUT /lists/\(setup.list)/members/") }
        #expect(puts.count == 1, "\(puts)")
        let later = try await API.json("GET", "\(stack.logsURL)/v1/logs/\(entry["id"] as? String ?? "")", token: setup.key)
        #expect(attempts(later.object) == ["permanent_failure"])
        #expect(await fake.member(account: setup.accountID, list: setup.list, email: email)?.status == "unsubscribed")
    }

    @Test("a transient 503 is retried and succeeds once Mailchimp recovers")
    func transientFailureIsRetried() async throws {
        let stack = try await TestStack.shared()
        let setup = try await connectWithRule(stack)
        let fake = stack.fakes.mailchimp
        await fake.failNext(account: setup.accountID, status: 503, count: 1)
        let email = MailchimpPipelineTests.email()

        let event = TestStack.event(type: "product.purchased", email: email)
        try await stack.publishAccepted(key: setup.key, event)
        let eventID = try #require(event["id"] as? String)
        // While the retry waits, the entry says so.
        let retrying = try await stack.logEntries(key: setup.key, eventID: eventID) {
            $0.first?["status"] as? String == "retrying" || $0.first.map(isFinal) == true
        }
        #expect(retrying.first?["status"] as? String == "retrying", "\(retrying)")
        #expect(reason(retrying.first).contains("Mailchimp had a temporary problem (HTTP 503"), "\(retrying)")
        #expect(reason(retrying.first).contains("Retrying in 1s (attempt 2 of 3)"), "\(retrying)")

        let entry = try #require(try await stack.finalEntries(key: setup.key, eventID: eventID, count: 1).first)
        #expect(entry["status"] as? String == "success", "\(entry)")
        #expect(attempts(entry) == ["transient_failure", "success"])
        #expect(await fake.member(account: setup.accountID, list: setup.list, email: email)?.status == "subscribed")
    }

    @Test("revoked credentials: the action fails, the integration needs reconnecting, the configuration log says so")
    func revokedCredentials() async throws {
        let stack = try await TestStack.shared()
        let setup = try await connectWithRule(stack)
        await stack.fakes.mailchimp.revokeCredentials(account: setup.accountID)

        let entry = try await stack.purchase(key: setup.key, email: MailchimpPipelineTests.email())[0]
        #expect(entry["status"] as? String == "failed", "\(entry)")
        #expect(attempts(entry) == ["permanent_failure"])
        #expect(reason(entry).contains("Mailchimp no longer accepts this integration's API key"), "\(entry)")
        #expect(reason(entry).contains("needs reconnecting"), "\(entry)")
        let integration = try await API.json(
            "GET", "\(stack.gatewayURL)/v1/integrations/\(setup.integrationID)", token: setup.key)
        #expect(integration.object["status"] as? String == "needs_reconnect")

        let log = try await stack.configLog(key: setup.key)
        #expect(log.compactMap { $0["kind"] as? String } == ["needs_reconnect", "refreshed", "connected"], "\(log)")
        #expect(log.allSatisfy { $0["integration_id"] as? String == setup.integrationID })
        #expect((log.first?["message"] as? String)?.contains("reconnect") == true, "\(log)")

        // A refresh now is refused the same way, and says what to do.
        let refresh = try await API.json(
            "POST", "\(stack.gatewayURL)/v1/integrations/\(setup.integrationID)/refresh", token: setup.key)
        #expect(refresh.status == 409, "\(refresh.text)")

        // The merchant pastes a new key: connected again, and the failed entry, replayed, succeeds with it.
        let newKey = await stack.fakes.mailchimp.issueAPIKey(account: setup.accountID)
        let reconnected = try await API.json(
            "PATCH", "\(stack.gatewayURL)/v1/integrations/\(setup.integrationID)", token: setup.key,
            body: ["credentials": ["api_key": newKey]])
        #expect(reconnected.status == 200, "\(reconnected.text)")
        #expect(reconnected.object["status"] as? String == "connected")
        let entryID = try #require(entry["id"] as? String)
        let replay = try await API.json("POST", "\(stack.logsURL)/v1/logs/\(entryID)/replay", token: setup.key)
        #expect(replay.status == 202, "\(replay.text)")
        let eventID = try #require(entry["event_id"] as? String)
        let replayed = try await stack.logEntries(key: setup.key, eventID: eventID) {
            $0.first?["status"] as? String == "success"
        }
        #expect(replayed.first?["status"] as? String == "success", "\(replayed)")
        #expect(attempts(replayed.first ?? [:]) == ["permanent_failure", "success"])
        let email = try #require(entry["customer_email"] as? String)
        #expect(await stack.fakes.mailchimp.member(account: setup.accountID, list: setup.list, email: email)?.status == "subscribed")
    }

    @Test("two Mailchimp workers share the load: every purchase performed exactly once, both workers busy")
    func twoWorkersShareTheLoad() async throws {
        let stack = try await TestStack.shared()
        let setup = try await connectWithRule(stack)
        let fake = stack.fakes.mailchimp
        let main = stack.metricsURL(of: stack.mailchimpWorker, portKey: TestStack.mailchimpPortKey)
        let attemptsMetric = "switchyard_connector_attempts_total"
        let (emails, mainAttempts, extraAttempts) = try await stack.withExtraMailchimpWorker { extra in
            let extraURL = stack.metricsURL(of: extra, portKey: TestStack.mailchimpPortKey)
            let before = try await TestStack.counter(attemptsMetric, at: main)
            // The extra worker answers /health once connected; its consumer may register a moment later. So
            // purchases go out in waves of 20 until it has taken some (at most 10 waves), and every one of them
            // must then have been performed exactly once.
            var emails: [String] = []
            for wave in 0..<10 {
                var eventIDs: [String] = []
                for number in 0..<20 {
                    let email = MailchimpPipelineTests.email("buyer\(wave)x\(number)")
                    let event = TestStack.event(type: "product.purchased", email: email)
                    try await stack.publishAccepted(key: setup.key, event)
                    emails.append(email)
                    eventIDs.append(event["id"] as? String ?? "")
                }
                for eventID in eventIDs {
                    let entries = try await stack.finalEntries(key: setup.key, eventID: eventID, count: 1, timeout: .seconds(60))
                    #expect(entries.first?["status"] as? String == "success", "\(entries)")
                }
                if try await TestStack.counter(attemptsMetric, at: extraURL) > 0 { break }
            }
            for email in emails {
                #expect(await fake.member(account: setup.accountID, list: setup.list, email: email)?.status == "subscribed")
            }
            return (
                emails,
                try await TestStack.counter(attemptsMetric, at: main) - before,
                try await TestStack.counter(attemptsMetric, at: extraURL)
            )
        }
        let puts = await fake.requests(account: setup.accountID).filter { $0.hasPrefix("PUT /lists/\(setup.list)/members/") }
        #expect(puts.count == emails.count, "one request per purchase, none twice")
        #expect(Set(puts).count == emails.count)
        #expect(mainAttempts + extraAttempts == Double(emails.count), "main \(mainAttempts), extra \(extraAttempts)")
        #expect(mainAttempts > 0 && extraAttempts > 0, "both did some: main \(mainAttempts), extra \(extraAttempts)")
        let peak = await fake.peakInFlight[setup.accountID] ?? 0
        #expect(peak <= MailchimpFakeState.concurrencyLimit, "never more than Mailchimp's 10 at once: \(peak)")
    }
}
}
