/// Groups writes that arrive concurrently into one statement and one commit, the way PostgreSQL's group
/// commit would if every caller had its own connection. A caller waits only for the batch holding its item:
/// at low load a batch is a single item written at once; under load, items queue behind the flushes in flight
/// and go out together. One commit costs a disk sync (milliseconds), so this is what lets thousands of events
/// per second through.
///
/// A batch refused for its data (`DatabaseFailure.isDataError`: one item holds a value the database will never
/// take) is written again item by item, so only the bad item fails and the others of its batch are not held back.
public actor BatchWriter<Item: Sendable, Output: Sendable> {
    /// Writes a batch and returns one output per item, in order.
    public typealias Flush = @Sendable ([Item]) async throws -> [Output]

    private let maximumBatch: Int
    private let maximumConcurrentFlushes: Int
    private let flushTimeout: Duration
    private let flush: Flush

    private var nextTicket = 0
    private var pending: [(ticket: Int, item: Item)] = []
    private var results: [Int: Result<Output, any Error>] = [:]
    private var waiters: [Int: CheckedContinuation<Output, any Error>] = [:]
    private var flushesInFlight = 0
    private var leader: CheckedContinuation<Void, Never>?
    private var hasLeader = false

    /// Creates a writer that hands `flush` up to `maximumBatch` items at a time, with at most
    /// `maximumConcurrentFlushes` flushes in flight; a flush still running after `flushTimeout` is abandoned and its
    /// items fail with `DatabaseTimeout`.
    public init(
        maximumBatch: Int = 500, maximumConcurrentFlushes: Int = 2, flushTimeout: Duration = .seconds(10),
        flush: @escaping Flush
    ) {
        self.maximumBatch = max(1, maximumBatch)
        self.flushTimeout = flushTimeout
        self.maximumConcurrentFlushes = max(1, maximumConcurrentFlushes)
        self.flush = flush
    }

    /// Writes `item` with whatever else is waiting and returns its output once the batch is committed.
    public func submit(_ item: Item) async throws -> Output {
        let ticket = nextTicket
        nextTicket += 1
        pending.append((ticket, item))
        if flushesInFlight < maximumConcurrentFlushes {
            await flushPending()
        } else if !hasLeader {
            // Every flush slot is busy: wait for one to finish, then write everything that queued meanwhile.
            hasLeader = true
            await withCheckedContinuation { leader = $0 }
            hasLeader = false
            await flushPending()
        }
        return try await result(for: ticket)
    }

    private func flushPending() async {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        flushesInFlight += 1
        var start = 0
        while start < batch.count {
            let chunk = batch[start..<min(start + maximumBatch, batch.count)]
            start += chunk.count
            let outcome = await write(chunk.map(\.item))
            if case .failure(let error) = outcome, chunk.count > 1, DatabaseFailure.isDataError(error) {
                for entry in chunk {
                    deliver(await write([entry.item]).map { $0[0] }, to: entry.ticket)
                }
                continue
            }
            for (offset, entry) in chunk.enumerated() {
                deliver(outcome.map { $0[offset] }, to: entry.ticket)
            }
        }
        flushesInFlight -= 1
        if let leader {
            self.leader = nil
            leader.resume()
        }
    }

    private func write(_ items: [Item]) async -> Result<[Output], any Error> {
        do {
            let flush = self.flush
            let outputs = try await abandoningAfter(flushTimeout) { try await flush(items) }
            return outputs.count == items.count ? .success(outputs) : .failure(BatchCountMismatch())
        } catch {
            return .failure(error)
        }
    }

    private func deliver(_ result: Result<Output, any Error>, to ticket: Int) {
        if let waiter = waiters.removeValue(forKey: ticket) {
            waiter.resume(with: result)
        } else {
            results[ticket] = result
        }
    }

    private func result(for ticket: Int) async throws -> Output {
        if let result = results.removeValue(forKey: ticket) { return try result.get() }
        return try await withCheckedThrowingContinuation { waiters[ticket] = $0 }
    }
}

/// A flush returned a different number of outputs than it was given items: a programming error in the flush.
struct BatchCountMismatch: Error, CustomStringConvertible {
    var description: String { "a batch flush returned the wrong number of results" }
}
