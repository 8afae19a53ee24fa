import ConnectorKit
import Connectors
import Messages
import Testing
import VendorFakes

@testable import MailchimpWorker

/// Every failure is classified permanent, transient or needs-reconnect, and explained.
@Suite struct MailchimpErrorTests {
    @Test(
        "every row of the error table in vendors/mailchimp.md is classified and explained",
        arguments: [
            (400, "Member Exists", ActionResult.Verdict.permanent, "is already a member of the audience"),
            (400, "Forgotten Email Not Subscribed", .permanent, "permanently deleted from the audience"),
            (
                400, "Member In Compliance State", .permanent,
                "unsubscribed or bounced earlier and can't be re-added without their consent"
            ),
            (400, "Invalid Resource", .permanent, "looks fake or invalid"),
            (401, "API Key Invalid", .needsReconnect, "no longer accepts this integration's API key or access token"),
            (404, "Resource Not Found", .permanent, "could not find"),
            (429, "Too Many Requests", .transient(retryAfter: nil), "10 requests in progress"),
            (500, "Internal Server Error", .transient(retryAfter: nil), "temporary problem (HTTP 500"),
            (503, "Service Unavailable", .transient(retryAfter: nil), "temporary problem (HTTP 503"),
        ])
    func table(status: Int, title: String, verdict: ActionResult.Verdict, words: String) {
        let problem = MailchimpProblem(
            title: title, status: status,
            detail: "jane@example.com looks fake or invalid, please enter a real email address.", errors: nil)
        let error = ConnectorError(mailchimp: status, problem: problem, retryAfter: nil, subject: "jane@example.com")
        #expect(error.verdict == verdict)
        #expect(error.message.contains(words), "\(error.message)")
    }

    @Test("schema validation names the fields Mailchimp complained about")
    func validation() {
        let problem = MailchimpProblem(
            title: "Invalid Resource", status: 400, detail: "Your merge fields were invalid.",
            errors: [.init(field: "FNAME", message: "Please enter a value.")])
        let error = ConnectorError(mailchimp: 400, problem: problem, retryAfter: nil, subject: "jane@example.com")
        #expect(error.verdict == .permanent)
        #expect(error.message == "Mailchimp refused jane@example.com as invalid: FNAME: Please enter a value.")
    }

    @Test(
        "an address that unsubscribed earlier is refused for good (Member In Compliance State) and stays unsubscribed")
    func complianceState() async throws {
        try await MailchimpHarness.run { h in
            await h.fake.state.setMember(
                account: h.account, list: h.newsletter, email: "jane@example.com", status: "unsubscribed")
            let result = await h.perform("add_to_list", h.newsletterDestination)
            #expect(result.verdict == .permanent)
            #expect(
                result.reason
                    == "Mailchimp refused jane@example.com: the address unsubscribed or bounced earlier and can't be re-added without their consent."
            )
            #expect(result.response.contains("Member In Compliance State"))
            #expect(await h.member()?.status == "unsubscribed")
        }
    }

    @Test("an address Mailchimp considers fake is refused for good with Mailchimp's words")
    func invalidResource() async throws {
        try await MailchimpHarness.run { h in
            let result = await h.perform("add_to_list", h.newsletterDestination, email: "bot@example.invalid")
            #expect(result.verdict == .permanent)
            #expect(
                result.reason
                    == "Mailchimp refused bot@example.invalid: bot@example.invalid looks fake or invalid, please enter a real email address."
            )
        }
    }

    @Test("a revoked key needs reconnecting, for actions and for refreshes")
    func revoked() async throws {
        try await MailchimpHarness.run { h in
            await h.fake.state.revokeCredentials(account: h.account)
            let result = await h.perform("add_to_list", h.newsletterDestination)
            #expect(result.verdict == .needsReconnect)
            #expect(result.reason.contains("API Key Invalid"))
            #expect(
                !result.reason.contains(h.apiKey) && !result.request.contains(h.apiKey)
                    && !result.response.contains(h.apiKey))
            let failure = await #expect(throws: ConnectorError.self) {
                _ = try await h.connector.catalog(credentials: h.credentials())
            }
            #expect(failure?.reply.code == .invalidCredentials)
            let unusable = await h.connector.perform(
                h.command("add_to_list", h.newsletterDestination), credentials: h.credentials(["dc": "us6"]))
            #expect(unusable.verdict == .needsReconnect, "credentials without a key or token")
        }
    }

    @Test("429 and 5xx are transient, and the action succeeds once Mailchimp recovers")
    func transient() async throws {
        try await MailchimpHarness.run { h in
            await h.fake.state.failNext(account: h.account, status: 429, count: 1)
            let busy = await h.perform("add_to_list", h.newsletterDestination)
            #expect(busy.verdict.isTransient)
            #expect(busy.reason.contains("429 Too Many Requests"))

            await h.fake.state.failNext(account: h.account, status: 503, count: 1)
            let down = await h.perform("add_to_list", h.newsletterDestination)
            #expect(down.verdict.isTransient)
            #expect(down.reason == "Mailchimp had a temporary problem (HTTP 503 Service Unavailable).")
            #expect(await h.member() == nil)

            let recovered = await h.perform("add_to_list", h.newsletterDestination)
            #expect(recovered.verdict == .success)
            #expect(await h.member()?.status == "subscribed")
        }
    }

    @Test("a deleted audience is permanent and named: for a list, a tag's audience and a 404 while unsubscribing")
    func audienceGone() async throws {
        try await MailchimpHarness.run { h in
            let vip = Destination(kind: .tag, id: "17", name: "VIP", parentID: h.newsletter, fromCatalog: true)
            #expect(await h.perform("add_tag", vip).verdict == .success, "the audience's name is remembered")
            await h.fake.state.removeAudience(account: h.account, list: h.newsletter)

            let list = await h.perform("add_to_list", h.newsletterDestination)
            #expect(list.verdict == .permanent)
            #expect(
                list.reason
                    == "The Mailchimp audience \"Newsletter\" no longer exists; edit the rule and pick another audience."
            )
            let unsubscribe = await h.perform("remove_from_list", h.newsletterDestination)
            #expect(unsubscribe.verdict == .permanent)
            #expect(unsubscribe.reason == list.reason)
            let tag = await h.perform("remove_tag", vip)
            #expect(tag.verdict == .permanent)
            #expect(tag.reason.contains("no longer exists"))
        }
    }

    @Test("a timeout and a refused connection are transient")
    func transport() async throws {
        try await MailchimpHarness.run(environment: ["SWITCHYARD_MAILCHIMP_TIMEOUT": "200ms"]) { h in
            await h.fake.state.setLatency(.seconds(1))
            let slow = await h.perform("add_to_list", h.newsletterDestination)
            #expect(slow.verdict.isTransient)
            #expect(slow.reason == "Mailchimp did not answer within 0.2 s.")
            #expect(slow.response.hasPrefix("no answer"))
        }
        try await MailchimpHarness.run(environment: ["SWITCHYARD_MAILCHIMP_API_URL": "http://127.0.0.1:9/{dc}"]) { h in
            let refused = await h.perform("add_to_list", h.newsletterDestination)
            #expect(refused.verdict.isTransient)
            #expect(refused.reason == "Mailchimp refused the connection (nothing is listening there).")
        }
    }
}
