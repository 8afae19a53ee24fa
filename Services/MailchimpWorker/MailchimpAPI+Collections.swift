/// The collections the catalog and the directory read, every page of each.
extension MailchimpAPI {
    /// A group with the heading it sits under.
    struct Group: Sendable {
        var category: Mailchimp.InterestCategory
        var interest: Mailchimp.Interest
    }

    func audiences(_ auth: MailchimpAuth, transcript: Transcript) async throws -> [Mailchimp.Audience] {
        try await collect(
            ["lists"], query: [("fields", "lists.id,lists.name,total_items")], auth: auth, transcript: transcript)
    }

    /// An audience's tags, which the API lists as its static segments.
    func tags(in list: String, _ auth: MailchimpAuth, transcript: Transcript) async throws -> [Mailchimp.Segment] {
        try await collect(["lists", list, "segments"], query: [("type", "static")], auth: auth, transcript: transcript)
    }

    /// An audience's groups: every interest of every interest category.
    func groups(in list: String, _ auth: MailchimpAuth, transcript: Transcript) async throws -> [Group] {
        let categories: [Mailchimp.InterestCategory] = try await collect(
            ["lists", list, "interest-categories"], auth: auth, transcript: transcript)
        var groups: [Group] = []
        for category in categories {
            let interests: [Mailchimp.Interest] = try await collect(
                ["lists", list, "interest-categories", category.id, "interests"], auth: auth, transcript: transcript)
            groups += interests.map { Group(category: category, interest: $0) }
        }
        return groups
    }

    /// `GET /3.0/`: which account a credential opens.
    func root(_ auth: MailchimpAuth, transcript: Transcript) async throws -> Mailchimp.Root {
        try await call(.GET, [""], auth: auth, transcript: transcript).decode(Mailchimp.Root.self)
    }
}
