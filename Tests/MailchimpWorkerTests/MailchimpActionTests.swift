import Connectors
import Messages
import Testing
import VendorFakes

@testable import MailchimpWorker

/// Each action changes the fake's state as Mailchimp would, and says what it did.
@Suite struct MailchimpActionTests {
    @Test("add to list creates a subscribed member with first and last name, and re-subscribes a pending one")
    func addToList() async throws {
        try await MailchimpHarness.run { h in
            let result = await h.perform("add_to_list", h.newsletterDestination, email: " Jane@Example.com ")
            #expect(result.verdict == .success)
            #expect(result.reason == "Added Jane@Example.com to the Mailchimp audience \"Newsletter\".")
            let member = try #require(await h.member("jane@example.com"))
            #expect(member.status == "subscribed")
            #expect(member.mergeFields == ["FNAME": "Jane", "LNAME": "Doe"])
            #expect(
                result.request.hasPrefix(
                    "PUT /3.0/lists/\(h.newsletter)/members/\(MailchimpFakeState.subscriberHash("jane@example.com"))"))
            #expect(result.response.hasPrefix("HTTP 200"))
            #expect(!result.request.contains(h.apiKey) && !result.response.contains(h.apiKey))

            await h.fake.state.setMember(
                account: h.account, list: h.newsletter, email: "pending@example.com", status: "pending")
            #expect(
                await h.perform("add_to_list", h.newsletterDestination, email: "pending@example.com").verdict
                    == .success)
            #expect(await h.member("pending@example.com")?.status == "subscribed")
        }
    }

    @Test("remove from list unsubscribes; someone not in the audience is a success that says so")
    func removeFromList() async throws {
        try await MailchimpHarness.run { h in
            await h.fake.state.setMember(
                account: h.account, list: h.newsletter, email: "jane@example.com", status: "subscribed")
            let result = await h.perform("remove_from_list", h.newsletterDestination)
            #expect(result.verdict == .success)
            #expect(result.reason == "Unsubscribed jane@example.com from the Mailchimp audience \"Newsletter\".")
            #expect(await h.member()?.status == "unsubscribed")

            let stranger = await h.perform("remove_from_list", h.newsletterDestination, email: "nobody@example.com")
            #expect(stranger.verdict == .success)
            #expect(
                stranger.reason
                    == "nobody@example.com is not in the Mailchimp audience \"Newsletter\", so there was nothing to unsubscribe."
            )
            #expect(await h.member("nobody@example.com") == nil, "unsubscribing must not create the member")
        }
    }

    @Test("add and remove a tag; a person not yet in the audience is added as a subscriber, then tagged")
    func tags() async throws {
        try await MailchimpHarness.run { h in
            let vip = Destination(kind: .tag, id: "17", name: "VIP", parentID: h.newsletter, fromCatalog: true)
            await h.fake.state.setMember(
                account: h.account, list: h.newsletter, email: "jane@example.com", status: "subscribed")
            let added = await h.perform("add_tag", vip)
            #expect(added.verdict == .success)
            #expect(added.reason == "Tagged jane@example.com \"VIP\" in the Mailchimp audience \"Newsletter\".")
            #expect(await h.member()?.tags == ["VIP"])

            let removed = await h.perform("remove_tag", vip)
            #expect(removed.verdict == .success)
            #expect(
                removed.reason
                    == "Removed the tag \"VIP\" from jane@example.com in the Mailchimp audience \"Newsletter\".")
            #expect(await h.member()?.tags == [])

            let newcomer = await h.perform("add_tag", vip, email: "new@example.com")
            #expect(newcomer.verdict == .success)
            #expect(
                newcomer.reason.contains(
                    "was not in the Mailchimp audience \"Newsletter\", so Switchyard added the address as a subscriber")
            )
            let member = try #require(await h.member("new@example.com"))
            #expect(member.status == "subscribed")
            #expect(member.tags == ["VIP"])
            #expect(member.mergeFields == ["FNAME": "Jane", "LNAME": "Doe"])

            let stranger = await h.perform("remove_tag", vip, email: "nobody@example.com")
            #expect(stranger.verdict == .success)
            #expect(
                stranger.reason.contains(
                    "is not in the Mailchimp audience \"Newsletter\", so there was no tag \"VIP\" to remove"))
            #expect(await h.member("nobody@example.com") == nil)
        }
    }

    @Test("add to and remove from a group set the member's interest true and false")
    func groups() async throws {
        try await MailchimpHarness.run { h in
            let ids = await h.fake.state.addGroup(
                account: h.account, list: h.newsletter, category: "Interests", interests: ["Courses", "Coaching"])
            let coursesID: String = try #require(ids["Courses"])
            let courses = Destination(
                kind: .group, id: coursesID, name: "Courses", parentID: h.newsletter, fromCatalog: true)
            await h.fake.state.setMember(
                account: h.account, list: h.newsletter, email: "jane@example.com", status: "subscribed")

            let added = await h.perform("add_to_group", courses)
            #expect(added.verdict == .success)
            #expect(
                added.reason
                    == "Added jane@example.com to the group \"Courses\" in the Mailchimp audience \"Newsletter\".")
            #expect(await h.member()?.interests == [ids["Courses"] ?? "": true])

            let removed = await h.perform("remove_from_group", courses)
            #expect(removed.verdict == .success)
            #expect(
                removed.reason
                    == "Removed jane@example.com from the group \"Courses\" in the Mailchimp audience \"Newsletter\".")
            #expect(await h.member()?.interests == [ids["Courses"] ?? "": false])

            let newcomer = await h.perform("add_to_group", courses, email: "new@example.com")
            #expect(newcomer.verdict == .success)
            #expect(newcomer.reason.contains("added the address as a subscriber in the group \"Courses\""))
            #expect(await h.member("new@example.com")?.status == "subscribed")
            #expect(await h.member("new@example.com")?.interests == [ids["Courses"] ?? "": true])

            await h.fake.state.setMember(
                account: h.account, list: h.newsletter, email: "gone@example.com", status: "unsubscribed")
            let unsubscribed = await h.perform("add_to_group", courses, email: "gone@example.com")
            #expect(unsubscribed.verdict == .success)
            #expect(
                unsubscribed.reason.contains(
                    "The address is unsubscribed in that audience, so Mailchimp sends it no campaigns."))
            #expect(await h.member("gone@example.com")?.status == "unsubscribed", "a group change never re-subscribes")
        }
    }

    @Test("destinations typed by hand: an audience by name, a group by name in its audience, a new tag")
    func typedByHand() async throws {
        try await MailchimpHarness.run { h in
            let customers = await h.fake.state.addAudience(account: h.account, name: "Customers")
            let ids = await h.fake.state.addGroup(
                account: h.account, list: customers, category: "Interests", interests: ["Coaching"])

            let list = await h.perform("add_to_list", Destination(kind: .list, name: " customers ", fromCatalog: false))
            #expect(list.verdict == .success)
            #expect(list.reason == "Added jane@example.com to the Mailchimp audience \"Customers\".")
            #expect(await h.member(list: customers)?.status == "subscribed")

            let group = await h.perform(
                "add_to_group", Destination(kind: .group, name: "coaching", parentID: customers, fromCatalog: false))
            #expect(group.verdict == .success)
            #expect(await h.member(list: customers)?.interests == [ids["Coaching"] ?? "": true])

            let tag = await h.perform(
                "add_tag", Destination(kind: .tag, name: "Typed tag", parentID: customers, fromCatalog: false))
            #expect(tag.verdict == .success)
            #expect(await h.member(list: customers)?.tags == ["Typed tag"])

            // An audience created after the names were looked up is still found: a miss looks again.
            let later = await h.fake.state.addAudience(account: h.account, name: "Launch list")
            #expect(await h.perform("add_to_list", Destination(kind: .list, name: "Launch list")).verdict == .success)
            #expect(await h.member(list: later)?.status == "subscribed")

            let unknown = await h.perform("add_to_list", Destination(kind: .list, name: "Nope"))
            #expect(unknown.verdict == .permanent)
            #expect(
                unknown.reason
                    == "The Mailchimp account has no audience named \"Nope\"; check the rule's audience or refresh the integration."
            )
            let unknownGroup = await h.perform(
                "add_to_group", Destination(kind: .group, name: "Yoga", parentID: customers))
            #expect(unknownGroup.verdict == .permanent)
            #expect(unknownGroup.reason.hasPrefix("The Mailchimp audience \"Customers\" has no group named \"Yoga\""))
        }
    }

    @Test("a tag without its audience, two audiences of one name and an unknown action are permanent and explained")
    func unusableDestinations() async throws {
        try await MailchimpHarness.run { h in
            let orphan = await h.perform("add_tag", Destination(kind: .tag, name: "VIP"))
            #expect(orphan.verdict == .permanent)
            #expect(orphan.reason.contains("does not say which Mailchimp audience it belongs to"))
            #expect(orphan.request == "not sent")

            await h.fake.state.addAudience(account: h.account, name: "Newsletter")
            let twins = await h.perform("add_to_list", Destination(kind: .list, name: "Newsletter"))
            #expect(twins.verdict == .permanent)
            #expect(twins.reason.contains("has 2 audiences named \"Newsletter\""))

            let unknown = await h.perform("subscribe_everyone", h.newsletterDestination)
            #expect(unknown.verdict == .permanent)
        }
    }
}
