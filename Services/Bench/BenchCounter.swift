import Synchronization

/// A counter shared by concurrent senders; a class because task closures cannot capture an `Atomic` itself.
final class BenchCounter: Sendable {
    private let storage = Atomic<Int>(0)

    /// Adds one and returns the new value.
    @discardableResult
    func increment() -> Int {
        storage.add(1, ordering: .relaxed).newValue
    }

    /// The current value.
    var value: Int { storage.load(ordering: .relaxed) }
}
