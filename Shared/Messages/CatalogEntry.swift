/// One entry of an integration's catalog: a list, tag, group… as the app names it. A refresh replaces an
/// integration's entries; rules pick destinations from them.
public struct CatalogEntry: Codable, Sendable, Equatable, Hashable {
    /// What kind of destination the entry is.
    public var kind: DestinationKind
    /// The app's id of the entry.
    public var id: String
    /// The entry's name as the app shows it.
    public var name: String
    /// For entries that live inside another (a tag or group in an audience): that entry's id.
    public var parentID: String?

    /// Creates an entry with every field given.
    public init(kind: DestinationKind, id: String, name: String, parentID: String? = nil) {
        self.kind = kind
        self.id = id
        self.name = name
        self.parentID = parentID
    }

    enum CodingKeys: String, CodingKey {
        case kind, id, name
        case parentID = "parent_id"
    }
}
