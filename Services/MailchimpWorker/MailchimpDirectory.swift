import Connectors
import Foundation

/// The account's audiences and each audience's groups, read from Mailchimp and remembered for a minute: to resolve
/// a destination the merchant typed by hand (an audience by name, a group by name inside its audience), to name
/// an audience in a sentence, and to tell "not a member" from "audience deleted" after a 404.
struct MailchimpDirectory: Sendable {
    /// Long enough that a burst of events costs one lookup, short enough that a renamed or new audience is seen soon.
    static let maxAge: Duration = .seconds(60)

    let api: MailchimpAPI
    let audienceCache = LookupCache<[Mailchimp.Audience]>(maxAge: maxAge)
    let groupCache = LookupCache<[Mailchimp.Interest]>(maxAge: maxAge)

    func audiences(_ auth: MailchimpAuth, refresh: Bool = false, transcript: Transcript) async throws -> [Mailchimp
        .Audience]
    {
        try await audienceCache.value(for: Self.key(auth), refresh: refresh) {
            try await api.audiences(auth, transcript: transcript)
        }
    }

    func groups(in list: String, _ auth: MailchimpAuth, refresh: Bool = false, transcript: Transcript) async throws
        -> [Mailchimp.Interest]
    {
        try await groupCache.value(for: Self.key(auth, list: list), refresh: refresh) {
            try await api.groups(in: list, auth, transcript: transcript).map(\.interest)
        }
    }

    /// The audience with this id, looking again when the remembered list does not have it; nil when Mailchimp has none.
    func audience(id: String, _ auth: MailchimpAuth, transcript: Transcript) async throws -> Mailchimp.Audience? {
        if let found = try await audiences(auth, transcript: transcript).first(where: { $0.id == id }) { return found }
        return try await audiences(auth, refresh: true, transcript: transcript).first { $0.id == id }
    }

    /// The one audience named `name` (ignoring case and surrounding spaces).
    func audience(named name: String, _ auth: MailchimpAuth, transcript: Transcript) async throws -> Mailchimp.Audience
    {
        let found = try await Self.matching(
            name, refresh: { try await audiences(auth, refresh: $0, transcript: transcript) }, by: \.name)
        switch found.count {
        case 1: return found[0]
        case 0:
            throw ConnectorError(
                .permanent,
                "The Mailchimp account has no audience named \"\(name)\"; check the rule's audience or refresh the integration."
            )
        default:
            throw ConnectorError(
                .permanent,
                "The Mailchimp account has \(found.count) audiences named \"\(name)\"; edit the rule and pick one from the list."
            )
        }
    }

    /// The one group named `name` in the audience `list`.
    func group(named name: String, in list: String, audienceName: String, _ auth: MailchimpAuth, transcript: Transcript)
        async throws -> Mailchimp.Interest
    {
        let found = try await Self.matching(
            name, refresh: { try await groups(in: list, auth, refresh: $0, transcript: transcript) }, by: \.name)
        switch found.count {
        case 1: return found[0]
        case 0:
            throw ConnectorError(
                .permanent,
                "\(audienceName) has no group named \"\(name)\"; check the rule's group or refresh the integration.")
        default:
            throw ConnectorError(
                .permanent,
                "\(audienceName) has \(found.count) groups named \"\(name)\"; edit the rule and pick one from the list."
            )
        }
    }

    /// Entries whose name matches, looking again once when the remembered entries have none.
    private static func matching<Entry>(
        _ name: String, refresh load: (Bool) async throws -> [Entry], by entryName: KeyPath<Entry, String>
    ) async throws -> [Entry] {
        let wanted = normalized(name)
        let cached = try await load(false).filter { normalized($0[keyPath: entryName]) == wanted }
        if !cached.isEmpty { return cached }
        return try await load(true).filter { normalized($0[keyPath: entryName]) == wanted }
    }

    private static func normalized(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// Lookups are per Mailchimp account (and audience, for groups): every integration of it sees the same entries.
    static func key(_ auth: MailchimpAuth, list: String? = nil) -> String {
        "\(auth.dc)/\(auth.accountID ?? "unverified")" + (list.map { "/\($0)" } ?? "")
    }
}
