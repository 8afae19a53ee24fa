/// Where an action goes in the connected app: a list, a tag, a group, a URL… `id` is the app's id when known
/// (picked from the catalog); `name` is what the merchant sees or typed. `parentID` is the app's id of what the
/// destination belongs to, for actions whose descriptor names a `parent_kind` (a Mailchimp tag or group belongs to
/// an audience, so its `parentID` is that audience's list id).
public struct Destination: Codable, Sendable, Equatable, Hashable {
    /// What kind of destination it is, which must fit the rule's action.
    public var kind: DestinationKind
    /// The app's id of the destination, when known (picked from the catalog); nil when typed by hand.
    public var id: String?
    /// The name the merchant sees or typed (for a `url`, the URL itself).
    public var name: String
    /// The app's id of the entry the destination belongs to (an audience's list id for a Mailchimp tag or group).
    public var parentID: String?
    /// Whether the integration's catalog knows this destination; false when the merchant typed it by hand (an
    /// app may still accept it). Absent in messages written before the field existed.
    public var fromCatalog: Bool?

    /// Creates a destination with every field given.
    public init(
        kind: DestinationKind, id: String? = nil, name: String, parentID: String? = nil, fromCatalog: Bool? = nil
    ) {
        self.kind = kind
        self.id = id
        self.name = name
        self.parentID = parentID
        self.fromCatalog = fromCatalog
    }

    enum CodingKeys: String, CodingKey {
        case kind, id, name
        case parentID = "parent_id"
        case fromCatalog = "from_catalog"
    }
}

/// The kinds of destination an action can take (`shared/SPEC.md` §1).
public enum DestinationKind: String, Codable, Sendable, CaseIterable, Hashable {
    case list, tag, group, level, offer, url
}
