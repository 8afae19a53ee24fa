import AsyncHTTPClient
import ConnectorKit
import Connectors
import Foundation
import Messages
import Testing
import VendorFakes

@testable import MailchimpWorker

/// Connecting with an API key or OAuth 2, and refreshing the catalog.
@Suite struct MailchimpConnectTests {
    @Test("a good API key is verified against the API root and stored with its data center and account id")
    func verifyGoodKey() async throws {
        try await MailchimpHarness.run { h in
            let connected = try await h.connector.verify(["api_key": " \(h.apiKey) "])
            #expect(connected.account == "Demo Store (us6)")
            #expect(connected.credentials == ["api_key": h.apiKey, "dc": "us6", "account_id": h.account])
        }
    }

    @Test("a malformed, missing or unknown key is refused with a sentence that names the field and not the key")
    func verifyBadKey() async throws {
        try await MailchimpHarness.run { h in
            let malformed = await #expect(throws: ConnectorError.self) {
                try await h.connector.verify(["api_key": "not-a-key"])
            }
            #expect(malformed?.reply.code == .badRequest)
            #expect(malformed?.message.hasPrefix("api_key is not a Mailchimp API key") == true)
            #expect(malformed?.message.contains("not-a-key") == false)

            let missing = await #expect(throws: ConnectorError.self) { try await h.connector.verify([:]) }
            #expect(missing?.reply.code == .badRequest)
            #expect(missing?.message.hasPrefix("api_key is required") == true)

            let unknownKey = String(repeating: "ab", count: 16) + "-us6"
            let unknown = await #expect(throws: ConnectorError.self) {
                try await h.connector.verify(["api_key": unknownKey])
            }
            #expect(unknown?.reply.code == .invalidCredentials)
            #expect(
                unknown?.message
                    == "Mailchimp refused the API key: it is wrong, was revoked, or belongs to another data center.")

            let otherDC = String(h.apiKey.dropLast(3)) + "us9"
            let wrongDC = await #expect(throws: ConnectorError.self) {
                try await h.connector.verify(["api_key": otherDC])
            }
            #expect(wrongDC?.reply.code == .invalidCredentials)
        }
    }

    @Test("OAuth: the documented authorize URL, the code exchanged once, metadata read, then Bearer calls work")
    func oauth() async throws {
        try await MailchimpHarness.run { h in
            let redirect = "https://switchyard.example/v1/oauth/callback?x=1&y=2"
            let authorize = try await h.connector.authorizeURL(state: "st&te/1", redirectURI: redirect)
            let components = try #require(URLComponents(string: authorize))
            #expect(authorize.hasPrefix("http://127.0.0.1:\(h.port)/login/oauth2/authorize?"))
            let query = Dictionary(
                uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            #expect(
                query == [
                    "response_type": "code", "client_id": MailchimpHarness.clientID, "redirect_uri": redirect,
                    "state": "st&te/1",
                ])

            // The merchant's browser approves; the login host redirects back with the code and the state.
            let approval = try await h.browser.execute(HTTPClientRequest(url: authorize), timeout: .seconds(5))
            #expect(approval.status == .found)
            let location = try #require(approval.headers.first(name: "location"))
            let back = try #require(URLComponents(string: location))
            #expect(back.queryItems?.first { $0.name == "state" }?.value == "st&te/1")
            let code = try #require(back.queryItems?.first { $0.name == "code" }?.value)

            let connected = try await h.connector.exchange(code: code, redirectURI: redirect)
            #expect(connected.account == "Demo Store (us6)")
            #expect(connected.credentials["dc"] == "us6")
            #expect(connected.credentials["account_id"] == h.account)
            #expect(connected.credentials["api_endpoint"]?.hasSuffix("/us6") == true)
            #expect(connected.credentials["api_key"] == nil)
            let token = try #require(connected.credentials["access_token"])

            let result = await h.connector.perform(
                h.command("add_to_list", h.newsletterDestination), credentials: h.credentials(connected.credentials))
            #expect(result.verdict == .success)
            #expect(await h.member()?.status == "subscribed")
            #expect(
                !result.request.contains(token) && !result.response.contains(token) && !result.reason.contains(token))

            let reused = await #expect(throws: ConnectorError.self) {
                try await h.connector.exchange(code: code, redirectURI: redirect)
            }
            #expect(reused?.reply.code == .refused)
            #expect(reused?.message.contains("Start connecting again") == true)
        }
    }

    @Test("without an OAuth client, authorizing and exchanging are a bad request that says to use an API key")
    func oauthNotConfigured() async throws {
        try await MailchimpHarness.run(environment: [
            "SWITCHYARD_MAILCHIMP_CLIENT_ID": "", "SWITCHYARD_MAILCHIMP_CLIENT_SECRET": "",
        ]) { h in
            let failure = await #expect(throws: ConnectorError.self) {
                try await h.connector.authorizeURL(state: "s", redirectURI: "https://switchyard.example/cb")
            }
            #expect(failure?.reply.code == .badRequest)
            #expect(failure?.message.contains("connect with an API key instead") == true)
            await #expect(throws: ConnectorError.self) {
                try await h.connector.exchange(code: "c", redirectURI: "https://x/cb")
            }
        }
    }

    @Test("refresh reads every page of audiences, tags and groups, with the audience as parent of tags and groups")
    func catalog() async throws {
        try await MailchimpHarness.run(environment: ["SWITCHYARD_MAILCHIMP_PAGE_SIZE": "2"]) { h in
            var audiences = [h.newsletter]
            for index in 1...4 {
                audiences.append(await h.fake.state.addAudience(account: h.account, name: "List \(index)"))
            }
            for tag in ["VIP", "video-course", "vip-2026"] {
                await h.fake.state.addTag(account: h.account, list: h.newsletter, name: tag)
            }
            let interests = await h.fake.state.addGroup(
                account: h.account, list: h.newsletter, category: "Interests", interests: ["A", "B", "C"])
            let topics = await h.fake.state.addGroup(
                account: h.account, list: audiences[2], category: "Topics", interests: ["D"])

            let items = try await h.connector.catalog(credentials: h.credentials())
            let byKind = Dictionary(grouping: items, by: \.kind)
            let lists = byKind[.list] ?? [], tags = byKind[.tag] ?? [], groups = byKind[.group] ?? []
            #expect(items.count == lists.count + tags.count + groups.count)
            #expect(lists.map(\.id) == audiences, "all five audiences, over three pages")
            #expect(lists.map(\.name) == ["Newsletter", "List 1", "List 2", "List 3", "List 4"])
            #expect(Set(tags.map(\.name)) == ["VIP", "video-course", "vip-2026"])
            #expect(tags.allSatisfy { $0.parentID == h.newsletter })
            #expect(Set(groups.map(\.id)) == Set(Array(interests.values) + Array(topics.values)))
            #expect(groups.first { $0.name == "D" }?.parentID == audiences[2])
            #expect(groups.filter { $0.parentID == h.newsletter }.count == 3)
        }
    }
}
