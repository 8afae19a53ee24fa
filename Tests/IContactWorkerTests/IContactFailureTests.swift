import ConnectorKit
import Connectors
import Foundation
import Logging
import Messages
import ServiceRuntime
import Testing
import VendorFakes

@testable import IContactWorker

/// Every documented failure gets its verdict (retry, give up, reconnect) and a sentence a merchant understands.
@Suite struct IContactFailureTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var status: Int
        var verdict: ActionResult.Verdict
        var message: String
        var testDescription: String { "HTTP \(status)" }
    }

    static let cases: [Case] = [
        Case(
            status: 400, verdict: .permanent,
            message: "iContact refused the data as invalid (400 Bad Request). iContact said: The request was invalid."),
        Case(
            status: 402, verdict: .permanent,
            message:
                "iContact requires a payment on this account before it accepts API calls (402 Payment Required). iContact said: Payment required: this account must be paid up to use the API."
        ),
        Case(
            status: 403, verdict: .permanent,
            message:
                "iContact does not allow this account or app to do that (403 Forbidden). iContact said: Forbidden: you do not have access to this resource."
        ),
        Case(
            status: 404, verdict: .permanent,
            message:
                "iContact could not find the list, contact or client folder (404 Not Found): it may have been deleted. iContact said: The requested resource was not found."
        ),
        Case(
            status: 429, verdict: .transient(retryAfter: nil),
            message:
                "iContact's limit on API calls for this account was reached (429 Too Many Requests). iContact said: Too many requests: the API call limit for this account was exceeded."
        ),
        Case(
            status: 500, verdict: .transient(retryAfter: nil),
            message: "iContact failed with HTTP 500. iContact said: An internal error occurred."),
        Case(
            status: 503, verdict: .transient(retryAfter: nil),
            message:
                "iContact is temporarily unavailable (503 Service Unavailable). iContact said: The service is temporarily unavailable."
        ),
    ]

    @Test(
        "each error status is classified and explained; after a transient one the next attempt succeeds",
        arguments: cases)
    func status(_ expected: Case) async throws {
        try await IContactHarness.run { h in
            await h.state.failNext(h.login, status: expected.status, count: 1)
            let failed = await h.perform(h.command("add_to_list", email: "err@example.com"))
            #expect(failed.verdict == expected.verdict)
            #expect(failed.reason == "Could not add err@example.com to the list \"Newsletter\": \(expected.message)")
            #expect(failed.response.hasPrefix("HTTP \(expected.status): {\"errors\":"))
            #expect(await h.state.contact(h.login, email: "err@example.com") == nil)

            let again = await h.perform(h.command("add_to_list", email: "err@example.com"))
            #expect(again.verdict == .success, "iContact answers again: \(again.reason)")
            #expect(
                await h.state.subscription(h.login, listID: h.newsletterID, email: "err@example.com")?.status
                    == "normal")
        }
    }

    @Test("a refusal in the middle of the flow is explained, and the log entry keeps the steps before it")
    func failureMidway() async throws {
        try await IContactHarness.run { h in
            // The search finds nobody; iContact refuses to create a contact without a valid email.
            let result = await h.perform(h.command("add_to_list", email: "not-an-email"))
            #expect(result.verdict == .permanent)
            #expect(
                result.reason
                    == "Could not add not-an-email to the list \"Newsletter\": iContact refused the data as invalid (400 Bad Request). iContact said: Each contact needs a valid email."
            )
            let steps = result.request.components(separatedBy: "; ")
            #expect(steps.count == 2)
            #expect(
                steps.first?.hasPrefix("GET /a/\(h.accountID)/c/\(h.clientFolderID)/contacts?email=not-an-email")
                    == true)
            #expect(steps.last?.hasPrefix("POST /a/\(h.accountID)/c/\(h.clientFolderID)/contacts (") == true)
            #expect(result.response.hasPrefix("HTTP 200: "))
            #expect(result.response.contains("; HTTP 400: "))
        }
    }

    @Test("revoked credentials (401) ask for a reconnect, actions and refresh alike")
    func revoked() async throws {
        try await IContactHarness.run { h in
            await h.state.revoke(h.login)
            let result = await h.perform(h.command("add_to_list", email: "x@example.com"))
            #expect(result.verdict == .needsReconnect)
            #expect(
                result.reason
                    == "Could not add x@example.com to the list \"Newsletter\": "
                    + ConnectorError.iContactRefusedCredentials)
            let failure = await #expect(throws: ConnectorError.self) {
                try await h.connector.catalog(credentials: h.credentials)
            }
            #expect(
                failure?.reply
                    == ConnectorReply.Failure(
                        code: .invalidCredentials, message: ConnectorError.iContactRefusedCredentials))
        }
    }

    @Test("no answer within the timeout is transient")
    func timeout() async throws {
        try await IContactHarness.run(environment: ["SWITCHYARD_ICONTACT_TIMEOUT": "300ms"]) { h in
            await h.state.delayNext(h.login, by: .seconds(1))
            let result = await h.perform(h.command("add_to_list", email: "slow@example.com"))
            #expect(result.verdict == .transient(retryAfter: nil))
            #expect(
                result.reason
                    == "Could not add slow@example.com to the list \"Newsletter\": iContact did not answer within 0.3 s."
            )
            #expect(result.response.hasPrefix("no answer"))
        }
    }

    @Test("nothing listening is transient")
    func unreachable() async throws {
        let connector = IContactConnector(
            settings: try IContactSettings(
                Settings(["SWITCHYARD_ICONTACT_API_URL": "http://127.0.0.1:1/icp", "SWITCHYARD_ICONTACT_TIMEOUT": "2s"])
            ),
            client: .shared, logger: Logger(label: "icontact-test"))
        try await IContactHarness.run { h in
            let result = await connector.perform(
                h.command("add_to_list", email: "x@example.com"), credentials: h.credentials)
            guard case .transient = result.verdict else {
                Issue.record("expected a transient verdict, got \(result.verdict)")
                return
            }
            #expect(
                result.reason
                    == "Could not add x@example.com to the list \"Newsletter\": iContact refused the connection (nothing is listening there)."
            )
            await #expect(throws: ConnectorError.self) { try await connector.verify(h.stored) }
        }
    }

    @Test("stored credentials without the discovered ids, or an unknown action, are refused without a call")
    func refusedLocally() async throws {
        try await IContactHarness.run { h in
            var values = h.stored
            values["client_folder_id"] = nil
            let incomplete = IntegrationCredentials(integrationID: "int_1", label: "x", account: nil, values: values)
            let result = await h.perform(h.command("add_to_list", email: "x@example.com"), credentials: incomplete)
            #expect(result.verdict == .needsReconnect)
            #expect(
                result.reason.hasSuffix(
                    "The integration's stored iContact credentials have no client_folder_id; connect it again."))
            #expect(result.request == "nothing sent")

            let unknown = await h.perform(h.command("add_tag", email: "x@example.com"))
            #expect(unknown.verdict == .permanent)
            #expect(unknown.request == "nothing sent")
        }
    }
}
