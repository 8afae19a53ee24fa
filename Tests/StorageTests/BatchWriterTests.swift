import Storage
import Synchronization
import Testing

@Suite("BatchWriter: shared batches, flushes that never return")
struct BatchWriterTests {
    @Test func aFlushThatNeverReturnsFailsItsItemsAndLaterBatchesGoThrough() async throws {
        let calls = Mutex(0)
        let writer = BatchWriter<Int, Int>(maximumConcurrentFlushes: 1, flushTimeout: .milliseconds(200)) { items in
            let call = calls.withLock { count -> Int in
                count += 1
                return count
            }
            if call == 1 {
                // What a query on a connection the server terminated can do: wait for ever, deaf to cancellation.
                await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
            }
            return items.map { $0 * 2 }
        }
        let started = ContinuousClock.now
        await #expect(throws: DatabaseTimeout.self) { try await writer.submit(1) }
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(DatabaseFailure.isTransient(DatabaseTimeout(limit: .seconds(1))))
        // The writer is not held by the abandoned flush: the next item is written.
        #expect(try await writer.submit(21) == 42)
    }

    @Test func concurrentItemsShareABatchAndEachGetsItsOutput() async throws {
        let batches = Mutex<[Int]>([])
        let writer = BatchWriter<Int, Int>(maximumConcurrentFlushes: 1) { items in
            batches.withLock { $0.append(items.count) }
            try await Task.sleep(for: .milliseconds(20))
            return items.map { $0 + 1 }
        }
        let outputs = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for item in 0..<50 { group.addTask { (item, try await writer.submit(item)) } }
            return try await group.reduce(into: [Int: Int]()) { $0[$1.0] = $1.1 }
        }
        #expect(outputs.count == 50)
        #expect(outputs.allSatisfy { $0.value == $0.key + 1 })
        #expect(batches.withLock { $0.count } < 50, "no two items shared a batch")
    }
}
