import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import VendorFakes

/// The Mailchimp fake answers as the documented API does (`shared/vendors/mailchimp.md`).
@Suite struct MailchimpFakeTests {
    struct Setup {
        let fake = MailchimpFake()
        var account = ""
        var key = ""
        var list = ""
    }

    func setup() async -> Setup {
        var setup = Setup()
        setup.account = await setup.fake.state.addAccount(dc: "us6")
        setup.key = await setup.fake.state.issueAPIKey(account: setup.account)
        setup.list = await setup.fake.state.addAudience(account: setup.account, name: "Newsletter")
        return setup
    }

    func basic(_ key: String) -> HTTPFields {
        [
            .authorization: "Basic " + Data("anystring:\(key)".utf8).base64EncodedString(),
            .contentType: "application/json",
        ]
    }

    func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
    }

    func body(_ object: Any) -> ByteBuffer {
        ByteBuffer(bytes: Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data()))
    }

    @Test("the subscriber hash of the documented example")
    func subscriberHash() {
        #expect(MailchimpFakeState.subscriberHash(" Jane.Doe@Example.COM ") == "0cba00ca3da1b283a57287bcceb17e35")
    }

    @Test("a bad key, a revoked key and the wrong data center get 401 API Key Invalid as problem+json")
    func authentication() async throws {
        let s = await setup()
        let app = Application(router: s.fake.router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/us6/3.0/lists", method: .get, headers: basic(s.key)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/us6/3.0/lists", method: .get, headers: basic("0123-us6")) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(json(response)["title"] as? String == "API Key Invalid")
            }
            try await client.execute(uri: "/us9/3.0/lists", method: .get, headers: basic(s.key)) { response in
                #expect(response.status == .unauthorized)
            }
            await s.fake.state.revokeCredentials(account: s.account)
            try await client.execute(uri: "/us6/3.0/lists", method: .get, headers: basic(s.key)) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("lists page with count and offset and report total_items")
    func listsPaginate() async throws {
        let s = await setup()
        for index in 0..<14 { await s.fake.state.addAudience(account: s.account, name: "List \(index)") }
        let app = Application(router: s.fake.router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/us6/3.0/lists", method: .get, headers: basic(s.key)) { response in
                #expect((json(response)["lists"] as? [Any])?.count == 10, "count defaults to 10")
                #expect(json(response)["total_items"] as? Int == 15)
            }
            try await client.execute(uri: "/us6/3.0/lists?count=10&offset=10", method: .get, headers: basic(s.key)) {
                response in
                #expect((json(response)["lists"] as? [Any])?.count == 5)
            }
        }
    }

    @Test("the API root names the account the key opens")
    func apiRoot() async throws {
        let s = await setup()
        let app = Application(router: s.fake.router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/us6/3.0/", method: .get, headers: basic(s.key)) { response in
                #expect(response.status == .ok)
                #expect(json(response)["account_id"] as? String == s.account)
                #expect(json(response)["account_name"] as? String == "Demo Store")
            }
            try await client.execute(uri: "/us6/3.0/", method: .get, headers: basic("0123-us6")) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("group headings and groups page with count and offset")
    func groupsPaginate() async throws {
        let s = await setup()
        let first = await s.fake.state.addGroup(
            account: s.account, list: s.list, category: "Interests", interests: ["A", "B", "C"])
        await s.fake.state.addGroup(account: s.account, list: s.list, category: "Topics", interests: ["D"])
        let app = Application(router: s.fake.router())
        try await app.test(.router) { client in
            let categories = try await client.execute(
                uri: "/us6/3.0/lists/\(s.list)/interest-categories?count=1&offset=1", method: .get,
                headers: basic(s.key)
            ) { json($0) }
            #expect((categories["categories"] as? [[String: Any]])?.compactMap { $0["title"] as? String } == ["Topics"])
            #expect(categories["total_items"] as? Int == 2)
            let all = try await client.execute(
                uri: "/us6/3.0/lists/\(s.list)/interest-categories", method: .get, headers: basic(s.key)
            ) {
                json($0)["categories"] as? [[String: Any]]
            }
            let category = try #require(all?.first?["id"] as? String)
            let interests = try await client.execute(
                uri: "/us6/3.0/lists/\(s.list)/interest-categories/\(category)/interests?count=2&offset=2",
                method: .get,
                headers: basic(s.key)
            ) { json($0) }
            #expect(
                (interests["interests"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [
                    try #require(first["C"])
                ])
            #expect(interests["total_items"] as? Int == 3)
            await s.fake.state.setMember(
                account: s.account, list: s.list, email: "jane@example.com", status: "subscribed")
            try await client.execute(
                uri: "/us6/3.0/lists/\(s.list)/members/\(MailchimpFakeState.subscriberHash("jane@example.com"))",
                method: .patch,
                headers: basic(s.key), body: body(["interests": ["0bad1d": true]])
            ) { response in
                #expect(response.status == .badRequest, "an unknown interest id is refused by PATCH as by PUT")
                #expect(json(response)["title"] as? String == "Invalid Resource")
            }
        }
    }

    @Test("upsert checks the hash, creates and updates; an unsubscribed member cannot be set back to subscribed")
    func upsertAndCompliance() async throws {
        let s = await setup()
        let app = Application(router: s.fake.router())
        let email = "Jane@Example.com"
        let hash = MailchimpFakeState.subscriberHash(email)
        try await app.test(.router) { client in
            let upsert: [String: Any] = [
                "email_address": email, "status_if_new": "subscribed", "merge_fields": ["FNAME": "Jane"],
            ]
            try await client.execute(
                uri: "/us6/3.0/lists/\(s.list)/members/\(MailchimpFakeState.subscriberHash("other@example.com"))",
                method: .put, headers: basic(s.key), body: body(upsert)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(json(response)["title"] as? String == "Invalid Resource")
            }
            try await client.execute(
                uri: "/us6/3.0/lists/\(s.list)/members/\(hash)", method: .put, headers: basic(s.key), body: body(upsert)
            ) { response in
                #expect(response.status == .ok)
                #expect(json(response)["status"] as? String == "subscribed")
                #expect((json(response)["merge_fields"] as? [String: String])?["FNAME"] == "Jane")
            }
            try await client.execute(
                uri: "/us6/3.0/lists/\(s.list)/members/\(hash)", method: .patch, headers: basic(s.key),
                body: body(["status": "unsubscribed"])
            ) { response in
                #expect(json(response)["status"] as? String == "unsubscribed")
            }
            try await client.execute(
                uri: "/us6/3.0/lists/\(s.list)/members/\(hash)", method: .put, headers: basic(s.key),
                body: body(["email_address": email, "status": "subscribed"])
            ) { response in
                #expect(response.status == .badRequest)
                #expect(json(response)["title"] as? String == "Member In Compliance State")
            }
            try await client.execute(
                uri: "/us6/3.0/lists/nope/members/\(hash)", method: .put, headers: basic(s.key), body: body(upsert)
            ) { response in
                #expect(response.status == .notFound)
                #expect(json(response)["title"] as? String == "Resource Not Found")
            }
        }
        #expect(await s.fake.state.member(account: s.account, list: s.list, email: email)?.status == "unsubscribed")
    }

    @Test("tags: active creates and adds, inactive removes, tag-search finds by prefix")
    func tags() async throws {
        let s = await setup()
        let app = Application(router: s.fake.router())
        let email = "jane@example.com"
        let hash = MailchimpFakeState.subscriberHash(email)
        await s.fake.state.setMember(account: s.account, list: s.list, email: email, status: "subscribed")
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/us6/3.0/lists/\(s.list)/members/\(hash)/tags", method: .post, headers: basic(s.key),
                body: body([
                    "tags": [["name": "VIP", "status": "active"], ["name": "video-course", "status": "active"]]
                ])
            ) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(
                uri: "/us6/3.0/lists/\(s.list)/members/\(hash)/tags", method: .post, headers: basic(s.key),
                body: body(["tags": [["name": "VIP", "status": "inactive"]]])
            ) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(
                uri: "/us6/3.0/lists/\(s.list)/tag-search?name=vi", method: .get, headers: basic(s.key)
            ) { response in
                let names = (json(response)["tags"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                #expect(names == ["VIP", "video-course"])
            }
        }
        #expect(await s.fake.state.member(account: s.account, list: s.list, email: email)?.tags == ["video-course"])
    }

    @Test("the 11th simultaneous request of an account gets 429 Too Many Requests")
    func concurrencyLimit() async throws {
        let s = await setup()
        await s.fake.state.setLatency(.milliseconds(300))
        let app = Application(router: s.fake.router())
        let statuses = try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<11 {
                    group.addTask {
                        try await client.execute(uri: "/us6/3.0/lists", method: .get, headers: basic(s.key)).status
                    }
                }
                var statuses: [HTTPResponse.Status] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
        }
        #expect(statuses.filter { $0 == .ok }.count == 10)
        #expect(statuses.filter { $0 == .tooManyRequests }.count == 1)
    }

    @Test("queued failures answer 503 and then the account recovers")
    func failures() async throws {
        let s = await setup()
        await s.fake.state.failNext(account: s.account, status: 503, count: 1)
        let app = Application(router: s.fake.router())
        try await app.test(.router) { client in
            let failed = try await client.execute(uri: "/us6/3.0/lists", method: .get, headers: basic(s.key))
            let recovered = try await client.execute(uri: "/us6/3.0/lists", method: .get, headers: basic(s.key))
            #expect(failed.status == .serviceUnavailable)
            #expect(recovered.status == .ok)
        }
    }

    @Test("OAuth: a code is exchanged once, for the registered client and redirect; metadata needs 'OAuth <token>'")
    func oauth() async throws {
        let s = await setup()
        await s.fake.state.registerClient(id: "client", secret: "secret")
        let app = Application(router: s.fake.router())
        try await app.test(.router) { client in
            let redirect = "http://127.0.0.1:8080/v1/oauth/callback"
            let location = try await client.execute(
                uri: "/login/oauth2/authorize?response_type=code&client_id=client&redirect_uri=\(redirect)&state=xyz",
                method: .get
            ).headers[.location]
            let components = URLComponents(string: try #require(location))
            #expect(components?.queryItems?.first { $0.name == "state" }?.value == "xyz")
            let code = try #require(components?.queryItems?.first { $0.name == "code" }?.value)
            let form =
                "grant_type=authorization_code&client_id=client&client_secret=secret&redirect_uri=\(redirect)&code=\(code)"
            let headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let token = try await client.execute(
                uri: "/login/oauth2/token", method: .post, headers: headers, body: ByteBuffer(string: form)
            ) {
                json($0)["access_token"] as? String
            }
            let accessToken = try #require(token)
            #expect(
                try await client.execute(
                    uri: "/login/oauth2/token", method: .post, headers: headers, body: ByteBuffer(string: form)
                ).status == .badRequest, "a code is single-use")
            try await client.execute(
                uri: "/login/oauth2/metadata", method: .get, headers: [.authorization: "OAuth \(accessToken)"]
            ) { response in
                #expect(json(response)["dc"] as? String == "us6")
                #expect((json(response)["api_endpoint"] as? String)?.hasSuffix("/us6") == true)
            }
            #expect(
                try await client.execute(
                    uri: "/login/oauth2/metadata", method: .get, headers: [.authorization: "Bearer \(accessToken)"]
                ).status == .unauthorized)
            try await client.execute(
                uri: "/us6/3.0/lists", method: .get, headers: [.authorization: "Bearer \(accessToken)"]
            ) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
