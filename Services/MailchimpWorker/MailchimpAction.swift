import Connectors
import Crypto
import Foundation
import Messages
import NIOHTTP1

/// One action for one person in one Mailchimp account: the calls it makes and the sentence it ends with.
///
/// Decisions a merchant would ask about:
/// - Add to list sends `status: subscribed` besides `status_if_new`, so a person who is pending, transactional or
///   archived ends up subscribed as the rule says; someone who unsubscribed or bounced earlier is refused by
///   Mailchimp (`Member In Compliance State`), which is permanent and explained.
/// - Adding a tag or a group to someone who is not in the audience first adds them as a subscriber (with their
///   names), then tags them: rules run independently, so the tag rule of a purchase may run before its
///   add-to-list rule, and Mailchimp can only tag members. The sentence says so.
/// - Unsubscribing, removing a tag or a group of someone who is not in the audience is a success that says so:
///   the merchant's goal already holds and there is nothing to fix.
/// - A 404 for a person is told apart from a deleted audience by looking the audience up again.
struct MailchimpAction: Sendable {
    /// The customer the event is about, as Mailchimp identifies a member.
    struct Person: Sendable {
        var email: String
        var hash: String
        var mergeFields: [String: String]?

        init(_ customer: TriggerEvent.Customer) {
            email = customer.email.trimmingCharacters(in: .whitespacesAndNewlines)
            hash = Self.subscriberHash(email)
            var fields: [String: String] = [:]
            if let first = customer.firstName?.trimmingCharacters(in: .whitespaces), !first.isEmpty {
                fields["FNAME"] = first
            }
            if let last = customer.lastName?.trimmingCharacters(in: .whitespaces), !last.isEmpty {
                fields["LNAME"] = last
            }
            mergeFields = fields.isEmpty ? nil : fields
        }

        /// `subscriber_hash`: lowercase hex MD5 of the trimmed, lowercased address.
        static func subscriberHash(_ email: String) -> String {
            let normalized = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            return Insecure.MD5.hash(data: Array(normalized.utf8)).map { String(format: "%02x", $0) }.joined()
        }
    }

    /// The audience an action works in, and how sentences name it.
    struct Audience: Sendable {
        var id: String
        var name: String?

        /// `the Mailchimp audience "Newsletter"`
        var label: String { name.map { "the Mailchimp audience \"\($0)\"" } ?? "the Mailchimp audience \(id)" }
    }

    let api: MailchimpAPI
    let directory: MailchimpDirectory
    let auth: MailchimpAuth
    let person: Person
    let transcript: Transcript

    // MARK: Destinations

    /// The audience of a list destination: its id from the catalog, or the one audience with the typed name.
    func audience(of destination: Destination) async throws -> Audience {
        if let id = destination.id, !id.isEmpty { return Audience(id: id, name: destination.name) }
        let found = try await directory.audience(named: destination.name, auth, transcript: transcript)
        return Audience(id: found.id, name: found.name)
    }

    /// The audience a tag or group destination belongs to (`parent_id`), named for the sentences.
    func parentAudience(of destination: Destination) async throws -> Audience {
        guard let id = destination.parentID, !id.isEmpty else {
            throw ConnectorError(
                .invalidInput,
                "The rule's \(destination.kind.rawValue) \"\(destination.name)\" does not say which Mailchimp audience it belongs to; "
                    + "edit the rule and pick the audience.")
        }
        guard let found = try await directory.audience(id: id, auth, transcript: transcript) else {
            throw Self.gone(Audience(id: id, name: nil))
        }
        return Audience(id: found.id, name: found.name)
    }

    /// The group of a group destination: its interest id from the catalog, or the one group with the typed name.
    func group(of destination: Destination, in audience: Audience) async throws -> Mailchimp.Interest {
        if let id = destination.id, !id.isEmpty { return Mailchimp.Interest(id: id, name: destination.name) }
        return try await directory.group(
            named: destination.name, in: audience.id, audienceName: Self.capitalized(audience.label), auth,
            transcript: transcript)
    }

    // MARK: Actions

    func addToList(_ audience: Audience) async throws -> String {
        let change = Mailchimp.MemberChange(
            emailAddress: person.email, statusIfNew: "subscribed", status: "subscribed", mergeFields: person.mergeFields
        )
        let answer = try await member(.PUT, in: audience, body: MailchimpAPI.json(change))
        guard answer.status != 404 else { throw Self.gone(audience) }
        return "Added \(person.email) to \(audience.label)."
    }

    func removeFromList(_ audience: Audience) async throws -> String {
        let answer = try await member(
            .PATCH, in: audience, body: MailchimpAPI.json(Mailchimp.MemberChange(status: "unsubscribed")))
        guard answer.status != 404 else {
            try await requireAudience(audience)
            return "\(person.email) is not in \(audience.label), so there was nothing to unsubscribe."
        }
        return "Unsubscribed \(person.email) from \(audience.label)."
    }

    func addTag(_ tag: String, in audience: Audience) async throws -> String {
        if try await changeTag(tag, active: true, in: audience) {
            return "Tagged \(person.email) \"\(tag)\" in \(audience.label)."
        }
        try await addAsSubscriber(to: audience, interests: nil)
        guard try await changeTag(tag, active: true, in: audience) else { throw Self.gone(audience) }
        return
            "\(person.email) was not in \(audience.label), so Switchyard added the address as a subscriber and tagged it \"\(tag)\"."
    }

    func removeTag(_ tag: String, in audience: Audience) async throws -> String {
        guard try await changeTag(tag, active: false, in: audience) else {
            try await requireAudience(audience)
            return "\(person.email) is not in \(audience.label), so there was no tag \"\(tag)\" to remove."
        }
        return "Removed the tag \"\(tag)\" from \(person.email) in \(audience.label)."
    }

    func addToGroup(_ group: Mailchimp.Interest, in audience: Audience) async throws -> String {
        let change = Mailchimp.MemberChange(interests: [group.id: true])
        let answer = try await member(.PATCH, in: audience, body: MailchimpAPI.json(change))
        guard answer.status != 404 else {
            try await addAsSubscriber(to: audience, interests: [group.id: true])
            return
                "\(person.email) was not in \(audience.label), so Switchyard added the address as a subscriber in the group \"\(group.name)\"."
        }
        let status = (try? answer.decode(Mailchimp.Member.self))?.status
        let note =
            ["unsubscribed", "cleaned"].contains(status ?? "")
            ? " The address is \(status ?? "") in that audience, so Mailchimp sends it no campaigns." : ""
        return "Added \(person.email) to the group \"\(group.name)\" in \(audience.label).\(note)"
    }

    func removeFromGroup(_ group: Mailchimp.Interest, in audience: Audience) async throws -> String {
        let answer = try await member(
            .PATCH, in: audience, body: MailchimpAPI.json(Mailchimp.MemberChange(interests: [group.id: false])))
        guard answer.status != 404 else {
            try await requireAudience(audience)
            return "\(person.email) is not in \(audience.label), so not in its group \"\(group.name)\" either."
        }
        return "Removed \(person.email) from the group \"\(group.name)\" in \(audience.label)."
    }

    // MARK: Calls

    /// A PUT or PATCH of the person's member record; a 404 is returned for the caller to read.
    private func member(_ method: HTTPMethod, in audience: Audience, body: [UInt8]) async throws -> MailchimpAPI.Answer
    {
        try await api.call(
            method, ["lists", audience.id, "members", person.hash], body: body, auth: auth, subject: person.email,
            passing: [404],
            transcript: transcript)
    }

    /// Adds or removes a tag; false when the person is not a member (or the audience is gone).
    private func changeTag(_ tag: String, active: Bool, in audience: Audience) async throws -> Bool {
        let change = Mailchimp.TagChange(tags: [.init(name: tag, status: active ? "active" : "inactive")])
        let answer = try await api.call(
            .POST, ["lists", audience.id, "members", person.hash, "tags"], body: MailchimpAPI.json(change), auth: auth,
            subject: person.email, passing: [404], transcript: transcript)
        return answer.status != 404
    }

    /// Creates the person as a subscriber (an existing member keeps their status).
    private func addAsSubscriber(to audience: Audience, interests: [String: Bool]?) async throws {
        let change = Mailchimp.MemberChange(
            emailAddress: person.email, statusIfNew: "subscribed", mergeFields: person.mergeFields, interests: interests
        )
        let answer = try await member(.PUT, in: audience, body: MailchimpAPI.json(change))
        guard answer.status != 404 else { throw Self.gone(audience) }
    }

    /// After a 404 for the person: throws when the audience itself is gone.
    private func requireAudience(_ audience: Audience) async throws {
        let audiences = try await directory.audiences(auth, refresh: true, transcript: transcript)
        guard audiences.contains(where: { $0.id == audience.id }) else { throw Self.gone(audience) }
    }

    static func gone(_ audience: Audience) -> ConnectorError {
        ConnectorError(
            .notFound, "\(capitalized(audience.label)) no longer exists; edit the rule and pick another audience.",
            status: 404)
    }

    static func capitalized(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }
}
