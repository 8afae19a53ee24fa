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

    @Test("connect: verified by discovering the account (a wrong password is 422); refresh reads every page of lists")
    func connectAndRefresh() async throws {
        let stack = try await TestStack.shared()
        let (_, key) = try await stack.createMarketplace()
        let (login, lists) = await account(stack, lists: ["Newsletter", "Buyers", "Webinar"])

        var wrong = Self.credentials(login)
        wrong["app_password"] = "not-the-password"
        let refused = try await stack.connect(key: key, connector: "icontact", label: "Lists", credentials: wrong)
        #expect(refused.status == 422, "\(refused.text)")
        #expect(refused.errorMessage.contains(IContactText.refused), "\(refused.text)")
        #expect(!refused.text.contains("not-the-password"))

        let created = try await stack.connect(
            key: key, connector: "icontact", label: "Lists", credentials: Self.credentials(login))
        #expect(created.status == 201, "\(created.text)")
        #expect((created.object["account"] as? String)?.hasPrefix("iContact account ") == true, "\(created.text)")
        #expect(!created.text.contains(login.password))
        let id = try #require(created.object["id"] as? String)
        _ = try await stack.refreshed(key: key, integrationID: id)

        // A list made in iContact since connecting shows after a refresh (pages of 2: two pages for four lists).
        _ = await stack.fakes.icontact.addList(login, name: "Late list")
        let refresh = try await API.json("POST", "\(stack.gatewayURL)/v1/integrations/\(id)/refresh", token: key)
        #expect(refresh.status == 200, "\(refresh.text)")
        #expect(refresh.object["catalog_counts"] as? [String: Int] == ["list": 4])
        let catalog = try await API.json("GET", "\(stack.gatewayURL)/v1/integrations/\(id)/catalog?kind=list", token: key)
        let entries = catalog.object["entries"] as? [[String: Any]] ?? []
        #expect(Set(entries.compactMap { $0["name"] as? String }) == ["Newsletter", "Buyers", "Webinar", "Late list"])
        #expect(entries.first { $0["name"] as? String == "Newsletter" }?["id"] as? String == lists["Newsletter"])
        let kinds = try await stack.configLog(key: key).compactMap { $0["kind"] as? String }
        #expect(kinds == ["refreshed", "refreshed", "connected"], "\(kinds)")
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
        let id = try #require(integration["id"] as? String)
        let email = MailchimpPipelineTests.email()
        await fake.warnOnCreate(login, email: email)

        let add = try await stack.appRule(
            key: key, integrationID: id, action: "add_to_list", destination: ["kind": "list", "name": "Newsletter"])
        let added = try await stack.purchase(key: key, email: email)[0]
        #expect(added["status"] as? String == "success", "\(added)")
        #expect(added["connector"] as? String == "icontact")
        let contact = try #require(await fake.contact(login, email: email))
        #expect(contact.firstName == "Jane" && contact.lastName == "Doe")
        #expect(await fake.subscription(login, listID: newsletter, email: email)?.status == "normal")
        #expect(reason(added).hasPrefix("Subscribed \(email) to the list \"Newsletter\" in iContact (new contact \(contact.id))"), "\(added)")
        #expect(reason(added).contains("iContact warned: The email domain of \(email) could not be verified."), "\(added)")

        // A second purchase finds the contact instead of creating it again.
        let again = try await stack.purchase(key: key, email: email)[0]
        #expect(reason(again) == "Subscribed \(email) to the list \"Newsletter\" in iContact (existing contact \(contact.id)).")

        _ = try await API.json("DELETE", "\(stack.gatewayURL)/v1/rules/\(add["id"] as? String ?? "")", token: key)
        try await stack.appRule(
            key: key, integrationID: id, action: "remove_from_list", destination: ["kind": "list", "name": "Newsletter"])
        let removed = try await stack.purchase(key: key, email: email)[0]
        #expect(removed["status"] as? String == "success", "\(removed)")
        #expect(reason(removed) == "Unsubscribed \(email) (contact \(contact.id)) from the list \"Newsletter\" in iContact.")
        #expect(await fake.subscription(login, listID: newsletter, email: email)?.status == "unsubscribed")
    }

    @Test("a 401 from iContact fails the action and marks the integration needs_reconnect")
    func refusedCredentials() async throws {
        let stack = try await TestStack.shared()
        let (_, key) = try await stack.createMarketplace()
        let (login, _) = await account(stack, lists: ["Newsletter"])
        let integration = try await stack.connected(
            key: key, connector: "icontact", label: "Lists", credentials: Self.credentials(login))
        let id = try #require(integration["id"] as? String)
        try await stack.appRule(
            key: key, integrationID: id, action: "add_to_list", destination: ["kind": "list", "name": "Newsletter"])
        await stack.fakes.icontact.failNext(login, status: 401, count: 1)

        let entry = try await stack.purchase(key: key, email: MailchimpPipelineTests.email())[0]
        #expect(entry["status"] as? String == "failed", "\(entry)")
        #expect(reason(entry).contains(IContactText.refused), "\(entry)")
        #expect(reason(entry).contains("needs reconnecting"), "\(entry)")
        let read = try await API.json("GET", "\(stack.gatewayURL)/v1/integrations/\(id)", token: key)
        #expect(read.object["status"] as? String == "needs_reconnect")
        #expect(try await stack.configLog(key: key).first?["kind"] as? String == "needs_reconnect")
    }
}
}

/// Sentences of the iContact worker the tests look for.
enum IContactText {
    static let refused = "iContact refused the app ID, username or app password"
}
