import Foundation
import Testing
import VendorFakes

extension Integration {
    /// iContact through the whole pipeline: connecting (verified by discovering the account), refreshing its lists,
    /// subscribing and unsubscribing customers on purchases, warnings kept in the log, a refused password.
    @Suite struct IContactPipelineTests {
        /// A new iContact login in the fake, with `lists` in its client folder (ids by name).
        func account(_ stack: TestStack, lists: [String]) async -> (IContactFakeState.Credentials, [String: String]) {
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let login = IContactFakeState.Credentials(
                appID: "app-\(suffix)", username: "owner-\(suffix)@example.com", password: "icontact-pw-\(suffix)")
            await stack.fakes.icontact.addAccount(login)
            var ids: [String: String] = [:]
            for list in lists { ids[list] = await stack.fakes.icontact.addList(login, name: list) }
            return (login, ids)
        }

        static func credentials(_ login: IContactFakeState.Credentials) -> [String: String] {
            ["app_id": login.appID, "username": login.username, "app_password": login.password]
        }

        @Test(
            "connect: verified by discovering the account (a wrong password is 422); refresh reads every page of lists")
        func connectAndRefresh() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let (login, lists) = await account(stack, lists: ["Newsletter", "Buyers", "Webinar"])

            var wrong = Self.credentials(login)
            wrong["app_password"] = "not-the-password"
            // Both connects are sent raw (with the contract's model): the checks read the answers' bytes for the
            // password, which the typed client would decode away.
            let refused = try await connect(stack, key: key, credentials: wrong)
            #expect(refused.status == 422, "\(refused.text)")
            #expect(refused.errorMessage.contains(IContactText.refused), "\(refused.text)")
            #expect(!refused.text.contains("not-the-password"))

            let created = try await connect(stack, key: key, credentials: Self.credentials(login))
            #expect(created.status == 201, "\(created.text)")
            let integration = try created.decoded(as: Gateway.Integration.self)
            #expect(integration.account?.hasPrefix("iContact account ") == true, "\(created.text)")
            #expect(!created.text.contains(login.password))
            let id = integration.id
            _ = try await stack.refreshed(key: key, integrationID: id)

            // A list made in iContact since connecting shows after a refresh (pages of 2: two pages for four lists).
            _ = await stack.fakes.icontact.addList(login, name: "Late list")
            let gateway = try stack.client(key).gateway
            let refresh = try await gateway.refreshIntegration(path: .init(id: id)).ok.body.json
            #expect(refresh.catalogCounts.additionalProperties == ["list": 4])
            let entries = try await gateway.searchCatalog(path: .init(id: id), query: .init(kind: .list))
                .ok.body.json.entries
            #expect(Set(entries.map(\.name)) == ["Newsletter", "Buyers", "Webinar", "Late list"])
            #expect(entries.first { $0.name == "Newsletter" }?.id == lists["Newsletter"])
            let kinds = try await stack.configLog(key: key).map(\.kind)
            #expect(kinds == [.refreshed, .refreshed, .connected], "\(kinds)")
        }

        @Test("add to list creates and subscribes the contact; remove unsubscribes it; a warning in a 200 is logged")
        func actions() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let fake = stack.fakes.icontact
            let (login, lists) = await account(stack, lists: ["Newsletter"])
            let newsletter = try #require(lists["Newsletter"])
            let integration = try await stack.connected(
                key: key, connector: "icontact", label: "Lists", credentials: Self.credentials(login))
            let id = integration.id
            let email = MailchimpPipelineTests.email()
            await fake.warnOnCreate(login, email: email)

            let newsletterList = Gateway.Destination(kind: .list, name: "Newsletter")
            let add = try await stack.appRule(
                key: key, integrationID: id, action: "add_to_list", destination: newsletterList)
            let added = try await stack.purchase(key: key, email: email)[0]
            #expect(added.status == .success, "\(added)")
            #expect(added.connector == "icontact")
            let contact = try #require(await fake.contact(login, email: email))
            #expect(contact.firstName == "Jane" && contact.lastName == "Doe")
            #expect(await fake.subscription(login, listID: newsletter, email: email)?.status == "normal")
            #expect(
                reason(added).hasPrefix(
                    "Subscribed \(email) to the list \"Newsletter\" in iContact (new contact \(contact.id))"),
                "\(added)")
            #expect(
                reason(added).contains("iContact warned: The email domain of \(email) could not be verified."),
                "\(added)")

            // A second purchase finds the contact instead of creating it again.
            let again = try await stack.purchase(key: key, email: email)[0]
            #expect(
                reason(again)
                    == "Subscribed \(email) to the list \"Newsletter\" in iContact (existing contact \(contact.id)).")

            _ = try await stack.client(key).gateway.deleteRule(path: .init(id: add.id)).noContent
            try await stack.appRule(
                key: key, integrationID: id, action: "remove_from_list", destination: newsletterList)
            let removed = try await stack.purchase(key: key, email: email)[0]
            #expect(removed.status == .success, "\(removed)")
            #expect(
                reason(removed)
                    == "Unsubscribed \(email) (contact \(contact.id)) from the list \"Newsletter\" in iContact.")
            #expect(await fake.subscription(login, listID: newsletter, email: email)?.status == "unsubscribed")
        }

        @Test("a 401 from iContact fails the action and marks the integration needs_reconnect")
        func refusedCredentials() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let (login, _) = await account(stack, lists: ["Newsletter"])
            let integration = try await stack.connected(
                key: key, connector: "icontact", label: "Lists", credentials: Self.credentials(login))
            let id = integration.id
            try await stack.appRule(
                key: key, integrationID: id, action: "add_to_list", destination: .init(kind: .list, name: "Newsletter"))
            await stack.fakes.icontact.failNext(login, status: 401, count: 1)

            let entry = try await stack.purchase(key: key, email: MailchimpPipelineTests.email())[0]
            #expect(entry.status == .failed, "\(entry)")
            #expect(reason(entry).contains(IContactText.refused), "\(entry)")
            #expect(reason(entry).contains("needs reconnecting"), "\(entry)")
            let read = try await stack.client(key).gateway.getIntegration(path: .init(id: id)).ok.body.json
            #expect(read.status == .needsReconnect)
            #expect(try await stack.configLog(key: key).first?.kind == .needsReconnect)
        }

        /// `POST /v1/integrations` for iContact, sent raw with the contract's model, to read the answer's bytes.
        private func connect(_ stack: TestStack, key: String, credentials: [String: String]) async throws
            -> API.Response
        {
            let body = Gateway.ConnectIntegration(
                connector: "icontact", label: "Lists", credentials: .init(additionalProperties: credentials))
            return try await API.json("POST", "\(stack.gatewayURL)/v1/integrations", token: key, body: body)
        }
    }
}

/// Sentences of the iContact worker the tests look for.
enum IContactText {
    static let refused = "iContact refused the app ID, username or app password"
}
