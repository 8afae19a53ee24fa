import Connectors
import Foundation
import Messages
import Testing
import VendorFakes

@testable import IContactWorker

/// The two actions change the fake's state as iContact's would, and every failure is classified and explained.
@Suite struct IContactActionTests {
    @Test("add_to_list finds → creates the contact once (with the event's names) → subscribes it as normal")
    func addCreatesThenReuses() async throws {
        try await IContactHarness.run { h in
            let email = "jane+shop@example.com"
            let first = await h.perform(h.command("add_to_list", email: email, firstName: "Jane", lastName: "Doe"))
            #expect(first.verdict == .success)
            let contact = try #require(await h.state.contact(h.login, email: email))
            #expect(contact.firstName == "Jane" && contact.lastName == "Doe")
            #expect(await h.state.subscription(h.login, listID: h.newsletterID, email: email)?.status == "normal")
            #expect(
                first.reason
                    == "Subscribed \(email) to the list \"Newsletter\" in iContact (new contact \(contact.id)).")
            #expect(first.request.contains("contacts?email=jane%2Bshop%40example.com&status=total"))
            #expect(first.request.contains("POST /a/\(h.accountID)/c/\(h.clientFolderID)/contacts"))
            #expect(first.response.hasPrefix("HTTP 200"))

            // The second time the search finds the contact (the "+" survived the query), so it is not created
            // again: the fake would have warned that the email already exists.
            let other = await h.state.addList(h.login, name: "Buyers")
            let list = Destination(kind: .list, id: other, name: "Buyers", fromCatalog: true)
            let second = await h.perform(h.command("add_to_list", email: email, firstName: "Janet", list: list))
            #expect(second.verdict == .success)
            #expect(
                second.reason
                    == "Subscribed \(email) to the list \"Buyers\" in iContact (existing contact \(contact.id)).")
            #expect(!second.request.contains("POST /a/\(h.accountID)/c/\(h.clientFolderID)/contacts"))
            #expect(await h.state.contact(h.login, email: email) == contact)
            #expect(await h.state.subscription(h.login, listID: other, email: email)?.status == "normal")
        }
    }

    @Test("ids sent as JSON numbers are read like strings")
    func numericIDs() async throws {
        try await IContactHarness.run { h in
            await h.state.setNumericIDs(true)
            let added = await h.perform(h.command("add_to_list", email: "num@example.com"))
            #expect(added.verdict == .success, "\(added.reason)")
            #expect(
                await h.state.subscription(h.login, listID: h.newsletterID, email: "num@example.com")?.status
                    == "normal")
            let removed = await h.perform(h.command("remove_from_list", email: "num@example.com"))
            #expect(removed.verdict == .success, "\(removed.reason)")
            #expect(
                await h.state.subscription(h.login, listID: h.newsletterID, email: "num@example.com")?.status
                    == "unsubscribed")
        }
    }

    @Test("remove_from_list sets the subscription to unsubscribed; it is kept, not deleted")
    func unsubscribe() async throws {
        try await IContactHarness.run { h in
            #expect(await h.perform(h.command("add_to_list", email: "bob@example.com")).verdict == .success)
            let contact = try #require(await h.state.contact(h.login, email: "bob@example.com"))
            let result = await h.perform(h.command("remove_from_list", email: "bob@example.com"))
            #expect(result.verdict == .success)
            #expect(
                result.reason
                    == "Unsubscribed bob@example.com (contact \(contact.id)) from the list \"Newsletter\" in iContact.")
            #expect(
                result.request.contains(
                    "POST /a/\(h.accountID)/c/\(h.clientFolderID)/subscriptions/\(h.newsletterID)_\(contact.id)"))
            #expect(
                await h.state.subscription(h.login, listID: h.newsletterID, email: "bob@example.com")?.status
                    == "unsubscribed")
        }
    }

    @Test("remove_from_list for someone who is not a contact, or not on the list, succeeds saying nothing needed doing")
    func unsubscribeNobody() async throws {
        try await IContactHarness.run { h in
            let stranger = await h.perform(h.command("remove_from_list", email: "nobody@example.com"))
            #expect(stranger.verdict == .success)
            #expect(
                stranger.reason
                    == "nobody@example.com is not an iContact contact, so not on the list \"Newsletter\": nothing to unsubscribe."
            )
            #expect(
                await h.state.contact(h.login, email: "nobody@example.com") == nil, "removing must not create a contact"
            )

            let other = await h.state.addList(h.login, name: "Buyers")
            #expect(await h.perform(h.command("add_to_list", email: "ann@example.com")).verdict == .success)
            let contact = try #require(await h.state.contact(h.login, email: "ann@example.com"))
            let list = Destination(kind: .list, id: other, name: "Buyers", fromCatalog: true)
            let notOnList = await h.perform(h.command("remove_from_list", email: "ann@example.com", list: list))
            #expect(notOnList.verdict == .success)
            #expect(
                notOnList.reason
                    == "ann@example.com (contact \(contact.id)) was never subscribed to the list \"Buyers\": nothing to unsubscribe."
            )
            #expect(notOnList.response.contains("HTTP 404"))
            #expect(
                await h.state.subscription(h.login, listID: h.newsletterID, email: "ann@example.com")?.status
                    == "normal")
        }
    }

    @Test("warnings in a 200 leave the action a success and go into the reason")
    func warnings() async throws {
        try await IContactHarness.run { h in
            await h.state.warnOnCreate(h.login, email: "warn@example.com")
            let result = await h.perform(h.command("add_to_list", email: "warn@example.com"))
            #expect(result.verdict == .success)
            let contact = try #require(await h.state.contact(h.login, email: "warn@example.com"))
            #expect(
                result.reason
                    == "Subscribed warn@example.com to the list \"Newsletter\" in iContact (new contact \(contact.id)); "
                    + "iContact warned: The email domain of warn@example.com could not be verified.")
            #expect(
                await h.state.subscription(h.login, listID: h.newsletterID, email: "warn@example.com")?.status
                    == "normal")
        }
    }

    @Test("a 200 that subscribed nobody (the list id is gone) is a permanent failure quoting iContact's warnings")
    func subscribedNobody() async throws {
        try await IContactHarness.run { h in
            let gone = Destination(kind: .list, id: "999999", name: "Old list", fromCatalog: true)
            let result = await h.perform(h.command("add_to_list", email: "late@example.com", list: gone))
            #expect(result.verdict == .permanent)
            #expect(
                result.reason
                    == "Could not add late@example.com to the list \"Old list\": iContact did not subscribe the contact: List 999999 does not exist."
            )
        }
    }

    @Test("a list typed by hand is found by name, kept briefly, read again when a name is new, else refused")
    func listByName() async throws {
        try await IContactHarness.run(environment: ["SWITCHYARD_ICONTACT_PAGE_SIZE": "2"]) { h in
            await h.state.addList(h.login, name: "Alpha")
            await h.state.addList(h.login, name: "Beta")
            let gammaID = await h.state.addList(h.login, name: "Gamma")
            let typed = Destination(kind: .list, name: "gamma ", fromCatalog: false)
            let first = await h.perform(h.command("add_to_list", email: "a@example.com", list: typed))
            #expect(first.verdict == .success, "\(first.reason)")
            #expect(first.reason.hasPrefix("Subscribed a@example.com to the list \"Gamma\" in iContact"))
            #expect(first.request.contains("/lists?limit=2&offset=2"), "every page of lists is read")
            #expect(await h.state.subscription(h.login, listID: gammaID, email: "a@example.com")?.status == "normal")
            let second = await h.perform(h.command("add_to_list", email: "b@example.com", list: typed))
            #expect(second.verdict == .success)
            #expect(!second.request.contains("/lists"), "the lists just read are reused")

            await h.state.addList(h.login, name: "Fresh")
            let fresh = await h.perform(
                h.command("add_to_list", email: "c@example.com", list: Destination(kind: .list, name: "Fresh")))
            #expect(
                fresh.verdict == .success, "a list created since the lists were kept is found by reading them again")

            let unknown = await h.perform(
                h.command("add_to_list", email: "d@example.com", list: Destination(kind: .list, name: "Nope")))
            #expect(unknown.verdict == .permanent)
            #expect(
                unknown.reason
                    == "Could not add d@example.com to the list \"Nope\": iContact account \(h.accountID) has no list named \"Nope\"; create it in iContact, or refresh the integration and pick one of its lists."
            )
            #expect(
                await h.state.contact(h.login, email: "d@example.com") == nil, "nothing is created for an unknown list")
        }
    }
}
