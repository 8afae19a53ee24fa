import ConnectorKit
import Connectors
import Foundation
import Messages
import ServiceRuntime
import Testing
import VendorFakes

@testable import IContactWorker

/// Connecting (verify by discovery), the catalog of lists, and the worker's settings.
@Suite struct IContactConnectTests {
    var typed: [String: String] {
        ["app_id": "switchyard-app", "username": "merchant@example.com", "app_password": "s3cret-app-pass"]
    }

    @Test("verify discovers the account and client folder and stores them with the login")
    func verify() async throws {
        try await IContactHarness.run { h in
            let connected = try await h.connector.verify([
                "app_id": " switchyard-app ", "username": "merchant@example.com", "app_password": "s3cret-app-pass",
            ])
            #expect(connected.credentials == h.stored)
            #expect(connected.account == "iContact account \(h.accountID)")

            await h.state.setNumericIDs(true)
            let numeric = try await h.connector.verify(h.stored)
            #expect(numeric.credentials == h.stored, "ids sent as numbers are stored as text")
        }
    }

    @Test("verify refuses a wrong password with the reconnect sentence, and says when iContact is down or refuses")
    func verifyRefused() async throws {
        try await IContactHarness.run { h in
            var wrong = typed
            wrong["app_password"] = "guess"
            let refused = await #expect(throws: ConnectorError.self) { try await h.connector.verify(wrong) }
            #expect(
                refused?.reply
                    == ConnectorReply.Failure(
                        code: .invalidCredentials, message: ConnectorError.iContactRefusedCredentials))
            await h.state.failNext(h.login, status: 503, count: 1)
            let down = await #expect(throws: ConnectorError.self) { try await h.connector.verify(typed) }
            #expect(down?.reply.code == .unavailable)
            await h.state.failNext(h.login, status: 402, count: 1)
            let unpaid = await #expect(throws: ConnectorError.self) { try await h.connector.verify(typed) }
            #expect(unpaid?.reply.code == .refused)
            #expect(unpaid?.message.contains("402 Payment Required") == true)
        }
    }

    @Test("verify names a missing field without calling iContact", arguments: ["app_id", "username", "app_password"])
    func verifyMissing(_ field: String) async throws {
        try await IContactHarness.run { h in
            var values = typed
            values[field] = field == "app_password" ? "" : "  "
            let failure = await #expect(throws: ConnectorError.self) { try await h.connector.verify(values) }
            #expect(failure?.reply.code == .badRequest)
            #expect(failure?.message.hasPrefix("\(field) is required: ") == true)
        }
    }

    @Test("iContact has no OAuth")
    func noOAuth() async throws {
        try await IContactHarness.run { h in
            let expected = ConnectorReply.Failure(
                code: .badRequest, message: "iContact connects with an app ID, username and app password, not OAuth.")
            let authorizing = await #expect(throws: ConnectorError.self) {
                try await h.connector.authorizeURL(state: "s", redirectURI: "http://x/cb")
            }
            #expect(authorizing?.reply == expected)
            let exchanging = await #expect(throws: ConnectorError.self) {
                try await h.connector.exchange(code: "c", redirectURI: "http://x/cb")
            }
            #expect(exchanging?.reply == expected)
        }
    }

    @Test("the catalog holds every list, read page after page")
    func catalogPages() async throws {
        try await IContactHarness.run(environment: ["SWITCHYARD_ICONTACT_PAGE_SIZE": "2"]) { h in
            var expected = [CatalogItem(kind: .list, id: h.newsletterID, name: "Newsletter")]
            for name in ["Buyers", "Refunds", "VIP", "Trial"] {
                expected.append(CatalogItem(kind: .list, id: await h.state.addList(h.login, name: name), name: name))
            }
            let catalog = try await h.connector.catalog(credentials: h.credentials)
            #expect(catalog == expected, "5 lists over 3 pages")
            await h.state.setNumericIDs(true)
            let numeric = try await h.connector.catalog(credentials: h.credentials)
            #expect(numeric == expected)
        }
    }

    @Test("settings: production defaults, and unusable values refused at start-up")
    func settings() throws {
        let defaults = try IContactSettings(Settings([:]))
        #expect(defaults.apiURL == "https://app.icontact.com/icp")
        #expect(defaults.timeout == .seconds(10))
        #expect(defaults.pageSize == 500)
        let sandbox = try IContactSettings(
            Settings(["SWITCHYARD_ICONTACT_API_URL": "https://app.sandbox.icontact.com/icp/"]))
        #expect(sandbox.apiURL == "https://app.sandbox.icontact.com/icp")
        #expect(throws: SettingsError.self) { try IContactSettings(Settings(["SWITCHYARD_ICONTACT_PAGE_SIZE": "0"])) }
        #expect(throws: SettingsError.self) {
            try IContactSettings(Settings(["SWITCHYARD_ICONTACT_API_URL": "app.icontact.com"]))
        }
        #expect(throws: SettingsError.self) { try IContactSettings(Settings(["SWITCHYARD_ICONTACT_TIMEOUT": "soon"])) }
    }
}
