/// Where an action goes in the connected app: a list, a tag, a group, a URL… `id` is the app's id when known
/// (picked from the catalog); `name` is what the merchant sees or typed.
public struct Destination: Codable, Sendable, Equatable, Hashable {
    public var kind: DestinationKind
    public var id: String?
    public var name: String

    public init(kind: DestinationKind, id: String? = nil, name: String) {
        self.kind = kind
        self.id = id
        self.name = name
    }
}

/// The kinds of destination an action can take (`shared/SPEC.md` §1).
public enum DestinationKind: String, Codable, Sendable, CaseIterable, Hashable {
    case list, tag, group, level, offer, url
}
