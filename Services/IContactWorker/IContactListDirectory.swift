import Foundation

/// The lists of each iContact account, kept for a short while so that rules whose list was typed by hand (a name,
/// no id) do not read every list for every event. Shared by all the actions a worker performs.
actor IContactListDirectory {
    struct List: Sendable, Equatable {
        var id: String
        var name: String
    }

    private struct Entry {
        var lists: [List]
        var readAt: ContinuousClock.Instant
    }

    private let maximumAge: Duration
    private var entries: [String: Entry] = [:]

    init(maximumAge: Duration) {
        self.maximumAge = maximumAge
    }

    /// The lists of `account` if they were read less than the maximum age ago.
    func fresh(account: String) -> [List]? {
        guard let entry = entries[account], ContinuousClock.now - entry.readAt < maximumAge else { return nil }
        return entry.lists
    }

    /// Keeps the lists just read (by a name lookup or a catalog refresh, which reads them all anyway).
    func store(_ lists: [List], account: String) {
        entries[account] = Entry(lists: lists, readAt: .now)
    }

    /// The list named `name`: exactly, else ignoring case and surrounding spaces.
    static func find(_ name: String, in lists: [List]) -> List? {
        if let exact = lists.first(where: { $0.name == name }) { return exact }
        let wanted = name.trimmingCharacters(in: .whitespaces).lowercased()
        return lists.first { $0.name.trimmingCharacters(in: .whitespaces).lowercased() == wanted }
    }
}
