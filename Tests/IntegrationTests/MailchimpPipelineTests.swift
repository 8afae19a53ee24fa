import Foundation
import Testing
import VendorFakes

extension Integration {
    /// Mailchimp through the whole pipeline: a merchant connects an account (API key or OAuth) through the gateway,
    /// the worker verifies it and reads its catalog from the fake, rules act on purchases (event → matcher → worker →
    /// fake), and the log says what happened. The fake's state is what Mailchimp would hold afterwards.
    @Suite struct MailchimpPipelineTests {
        /// A customer address no other test uses.
        static func email(_ name: String = "jane") -> String {
            "\(name).\(UUID().uuidString.prefix(8).lowercased())@example.com"
        }

        @Test("an API key is verified by the worker (201, account shown, key never answered); a wrong one is refused")
        func connectWithAPIKey() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let account = await stack.mailchimpAccount(name: "Jane's Shop")
            // Sent raw (a valid body) and read raw too: the key must not be anywhere in the bytes answered, not just
            // in the fields the contract documents.
            let body = Gateway.ConnectIntegration(
                connector: "mailchimp", label: "Main",
                credentials: .init(additionalProperties: ["api_key": account.apiKey]))
            let created = try await API.json("POST", "\(stack.gatewayURL)/v1/integrations", token: key, body: body)
            #expect(created.status == 201, "\(created.text)")
            let integration = try created.decoded(as: Gateway.Integration.self)
            #expect(integration.status == .connected)
            #expect(integration.account == "Jane's Shop (us6)")
            #expect(!created.text.contains(account.apiKey))
            let read = try await API.raw("GET", "\(stack.gatewayURL)/v1/integrations/\(integration.id)", token: key)
            #expect(try read.decoded(as: Gateway.Integration.self).account == "Jane's Shop (us6)")
            #expect(!read.text.contains(account.apiKey))

            // A key of the right form that Mailchimp does not know: refused by the app, nothing stored.
            let other = await stack.mailchimpAccount()
            await stack.fakes.mailchimp.revokeCredentials(account: other.id)
            let refused = try await refusal {
                try await stack.connect(
                    key: key, connector: "mailchimp", label: "Wrong", credentials: ["api_key": other.apiKey])
            }
            #expect(refused.status == 422, "\(refused)")
            #expect(refused.message.contains("Mailchimp refused the API key"), "\(refused)")
            let listed = try await stack.client(key).gateway.listIntegrations().ok.body.json.integrations
            #expect(listed.map(\.label) == ["Main"])
        }

        @Test("each of the six actions changes the member as Mailchimp would, and the log entry says what was done")
        func everyAction() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let fake = stack.fakes.mailchimp
            let account = await stack.mailchimpAccount()
            let newsletter = await fake.addAudience(account: account.id, name: "Newsletter")
            let groups = await fake.addGroup(
                account: account.id, list: newsletter, category: "Interests", interests: ["Courses", "Coaching"])
            let courses = try #require(groups["Courses"])
            let integration = try await stack.connected(
                key: key, connector: "mailchimp", label: "Main", credentials: ["api_key": account.apiKey])
            let integrationID = integration.id
            let email = Self.email()
            let gateway = try stack.client(key).gateway

            /// One rule at a time: performs `action` for one purchase, then deletes the rule (a 204, or it throws).
            func perform(_ action: String, _ destination: Gateway.Destination) async throws -> Logs.LogEntry {
                let rule = try await stack.appRule(
                    key: key, integrationID: integrationID, action: action, destination: destination)
                let entries = try await stack.purchase(key: key, email: email)
                _ = try await gateway.deleteRule(path: .init(id: rule.id)).noContent
                let entry = entries[0]
                #expect(entry.status == .success, "\(action): \(entry)")
                #expect(entry.connector == "mailchimp")
                #expect(entry.action == action)
                #expect(entry.integrationLabel == "Main")
                return entry
            }
            func member() async -> MailchimpFakeState.Member? {
                await fake.member(account: account.id, list: newsletter, email: email)
            }

            let added = try await perform("add_to_list", .init(kind: .list, name: "Newsletter"))
            #expect(reason(added) == "Added \(email) to the Mailchimp audience \"Newsletter\".")
            #expect(await member()?.status == "subscribed")
            #expect(await member()?.mergeFields == ["FNAME": "Jane", "LNAME": "Doe"], "names go into merge fields")

            let tagged = try await perform("add_tag", .init(kind: .tag, name: "Course buyer", parentId: newsletter))
            #expect(reason(tagged) == "Tagged \(email) \"Course buyer\" in the Mailchimp audience \"Newsletter\".")
            #expect(await member()?.tags == ["Course buyer"])

            let untagged = try await perform(
                "remove_tag", .init(kind: .tag, name: "Course buyer", parentId: newsletter))
            #expect(
                reason(untagged)
                    == "Removed the tag \"Course buyer\" from \(email) in the Mailchimp audience \"Newsletter\".")
            #expect(await member()?.tags.isEmpty == true)

            let grouped = try await perform("add_to_group", .init(kind: .group, name: "Courses", parentId: newsletter))
            #expect(
                reason(grouped) == "Added \(email) to the group \"Courses\" in the Mailchimp audience \"Newsletter\".")
            #expect(await member()?.interests == [courses: true])

            let ungrouped = try await perform(
                "remove_from_group", .init(kind: .group, name: "Courses", parentId: newsletter))
            #expect(
                reason(ungrouped)
                    == "Removed \(email) from the group \"Courses\" in the Mailchimp audience \"Newsletter\".")
            #expect(await member()?.interests == [courses: false])

            let removed = try await perform("remove_from_list", .init(kind: .list, name: "Newsletter"))
            #expect(reason(removed) == "Unsubscribed \(email) from the Mailchimp audience \"Newsletter\".")
            #expect(await member()?.status == "unsubscribed")
            let attempt = removed.attempts.last
            #expect(
                attempt?.request.contains("PATCH /3.0/lists/\(newsletter)/members/") == true,
                "\(String(describing: attempt))")
        }

        @Test(
            "refresh reads every page of audiences, tags and groups; prefix search finds tags; a typed audience works")
        func refreshAndCatalog() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let fake = stack.fakes.mailchimp
            let account = await stack.mailchimpAccount()
            // Pages of 2 (SWITCHYARD_MAILCHIMP_PAGE_SIZE): 5 audiences are 3 pages, 3 tags 2 pages.
            let names = ["Newsletter", "Buyers", "Webinar", "Course alumni", "Podcast"]
            var audiences: [String: String] = [:]
            for name in names { audiences[name] = await fake.addAudience(account: account.id, name: name) }
            let newsletter = try #require(audiences["Newsletter"])
            for tag in ["VIP", "vip-gold", "Visitors"] {
                await fake.addTag(account: account.id, list: newsletter, name: tag)
            }
            await fake.addTag(account: account.id, list: try #require(audiences["Buyers"]), name: "Refunded")
            let groups = await fake.addGroup(
                account: account.id, list: newsletter, category: "Interests",
                interests: ["Courses", "Coaching", "Books"])
            let integration = try await stack.connected(
                key: key, connector: "mailchimp", label: "Main", credentials: ["api_key": account.apiKey])
            let id = integration.id
            let gateway = try stack.client(key).gateway

            let before = await fake.requests(account: account.id).count
            let refresh = try await gateway.refreshIntegration(path: .init(id: id)).ok.body.json
            #expect(refresh.catalogCounts.additionalProperties == ["list": 5, "tag": 4, "group": 3])
            let refreshRequests = await fake.requests(account: account.id).dropFirst(before)
            #expect(
                refreshRequests.filter { $0 == "GET /lists" }.count == 3, "three pages of audiences: \(refreshRequests)"
            )
            #expect(refreshRequests.filter { $0 == "GET /lists/\(newsletter)/segments" }.count == 2)

            func catalog(_ kind: Gateway.DestinationKind, prefix: String? = nil) async throws -> [Gateway.CatalogEntry]
            {
                try await gateway.searchCatalog(path: .init(id: id), query: .init(kind: kind, prefix: prefix))
                    .ok.body.json.entries
            }
            #expect(Set(try await catalog(.list).map(\.name)) == Set(names))
            let tags = try await catalog(.tag, prefix: "vi")
            #expect(tags.map(\.name) == ["VIP", "vip-gold", "Visitors"])
            #expect(tags.allSatisfy { $0.parentId == newsletter })
            #expect(try await catalog(.tag, prefix: "").count == 4, "an empty prefix lists every tag")
            let courses = try await catalog(.group, prefix: "cou")
            #expect(courses.first?.id == groups["Courses"])
            #expect(courses.first?.parentId == newsletter)

            // An audience made in Mailchimp after the refresh, typed by hand: not in the catalog, found by name.
            let late = await fake.addAudience(account: account.id, name: "Late launch")
            let rule = try await stack.appRule(
                key: key, integrationID: id, action: "add_to_list", destination: .init(kind: .list, name: "Late launch")
            )
            #expect(rule.destination.fromCatalog == false)
            #expect(rule.destination.id == nil)
            let email = Self.email()
            let entry = try await stack.purchase(key: key, email: email)[0]
            #expect(entry.status == .success, "\(entry)")
            #expect(reason(entry) == "Added \(email) to the Mailchimp audience \"Late launch\".")
            #expect(await fake.member(account: account.id, list: late, email: email)?.status == "subscribed")

            let kinds = try await stack.configLog(key: key).map(\.kind)
            #expect(kinds.first == .refreshed && kinds.last == .connected, "\(kinds)")
            #expect(kinds.filter { $0 == .refreshed }.count == 2, "the refresh after connecting and the one asked for")
        }

        @Test("two Mailchimp integrations with different labels in one marketplace act on two different accounts")
        func twoAccounts() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let fake = stack.fakes.mailchimp
            let first = await stack.mailchimpAccount(name: "First shop")
            let second = await stack.mailchimpAccount(name: "Second shop")
            let firstList = await fake.addAudience(account: first.id, name: "Newsletter")
            let secondList = await fake.addAudience(account: second.id, name: "Newsletter")
            for (label, account) in [("Brand A", first), ("Brand B", second)] {
                let integration = try await stack.connected(
                    key: key, connector: "mailchimp", label: label, credentials: ["api_key": account.apiKey])
                let rule = try await stack.appRule(
                    key: key, integrationID: integration.id, action: label == "Brand A" ? "add_to_list" : "add_tag",
                    destination: label == "Brand A"
                        ? .init(kind: .list, name: "Newsletter")
                        : .init(kind: .tag, name: "Brand B buyer", parentId: secondList))
                if label == "Brand A" { #expect(rule.destination.id == firstList, "the catalog of its own account") }
            }
            let email = Self.email()
            let entries = try await stack.purchase(key: key, email: email, count: 2)
            #expect(entries.allSatisfy { $0.status == .success }, "\(entries)")
            #expect(Set(entries.compactMap(\.integrationLabel)) == ["Brand A", "Brand B"])
            let inFirst = await fake.member(account: first.id, list: firstList, email: email)
            let inSecond = await fake.member(account: second.id, list: secondList, email: email)
            #expect(inFirst?.status == "subscribed")
            #expect(inFirst?.tags.isEmpty == true, "the tag rule is Brand B's")
            #expect(inSecond?.tags == ["Brand B buyer"], "tagging added the address to Brand B's audience first")
            #expect(await fake.requests(account: first.id).allSatisfy { !$0.contains(secondList) })
            #expect(await fake.requests(account: second.id).allSatisfy { !$0.contains(firstList) })
        }

        @Test(
            "OAuth end to end: authorize URL, the app's redirect, the callback stores the token; used or wrong states are refused"
        )
        func oauth() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let fake = stack.fakes.mailchimp
            let account = await fake.addAccount(dc: "us9", name: "OAuth shop", email: "owner@example.com")
            let list = await fake.addAudience(account: account, name: "Newsletter")
            await fake.setAuthorizingAccount(account)

            // Without credentials the answer is a 200 with the authorize URL (`.ok`), not an integration.
            let client = try stack.client(key)
            let started = try await client.gateway.connectIntegration(
                body: .json(.init(connector: "mailchimp", label: "Via OAuth"))
            ).ok.body.json
            let authorizeURL = started.authorizeUrl
            let state = started.state
            let login = "http://127.0.0.1:\(stack.fakes.mailchimpPort)/login/oauth2/authorize?"
            #expect(authorizeURL.hasPrefix(login), "\(authorizeURL)")
            #expect(authorizeURL.contains("client_id=\(VendorFakeServers.oauthClientID)"))
            #expect(authorizeURL.contains("state=\(state)"))

            // The merchant signs in; Mailchimp sends the browser back to the callback with a code and the state. What
            // the browser requests is sent raw, as it asks for it.
            let authorized = try await API.raw("GET", authorizeURL, followRedirects: false)
            #expect(authorized.status == 302, "\(authorized.text)")
            let redirect = try #require(authorized.headers.first(name: "location"))
            let callback = try #require(URLComponents(string: redirect))
            #expect(redirect.hasPrefix("\(stack.gatewayURL)/v1/oauth/callback?"), "\(redirect)")
            #expect(callback.queryItems?.first { $0.name == "state" }?.value == state)
            #expect(callback.queryItems?.first { $0.name == "code" }?.value?.isEmpty == false)

            let finished = try await API.raw("GET", redirect)
            #expect(finished.status == 201, "\(finished.text)")
            let connected = try finished.decoded(as: Gateway.Integration.self)
            #expect(connected.account == "OAuth shop (us9)")
            #expect(connected.label == "Via OAuth")
            let id = connected.id
            _ = try await stack.refreshed(key: key, integrationID: id)

            // The integration acts with the token, in the data center the metadata named.
            try await stack.appRule(
                key: key, integrationID: id, action: "add_to_list", destination: .init(kind: .list, name: "Newsletter"))
            let email = Self.email()
            let entry = try await stack.purchase(key: key, email: email)[0]
            #expect(entry.status == .success, "\(entry)")
            #expect(await fake.member(account: account, list: list, email: email)?.status == "subscribed")

            let reused = try await API.raw("GET", redirect)
            #expect(reused.status == 400, "\(reused.text)")
            #expect(reused.errorCode == "invalid_state")
            let code = callback.queryItems?.first { $0.name == "code" }?.value ?? ""
            let wrong = try await API.raw("GET", "\(stack.gatewayURL)/v1/oauth/callback?code=\(code)&state=st_forged")
            #expect(wrong.status == 400)
            #expect(wrong.errorCode == "invalid_state")
            let listed = try await client.gateway.listIntegrations().ok.body.json.integrations
            #expect(listed.count == 1, "only the one connection")
            let kinds = try await stack.configLog(key: key).map(\.kind)
            #expect(kinds.contains(.connected))
        }
    }
}
