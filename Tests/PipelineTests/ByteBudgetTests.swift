import Pipeline
import ServiceRuntime
import Testing

/// What bounds a consumer's memory in bytes (issue 9 §2): deliveries wait for room instead of piling up.
@Suite("ByteBudget: what a consumer holds is bounded in bytes")
struct ByteBudgetTests {
    @Test func anAcquireBeyondTheRoomWaitsForARelease() async throws {
        let budget = ByteBudget(limit: 100)
        await budget.acquire(60)
        let admitted = Admissions()
        let waiter = Task {
            await budget.acquire(50)
            await admitted.note("50")
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(await admitted.names.isEmpty, "60 + 50 bytes were held under a limit of 100")
        await budget.release(60)
        await waiter.value
        #expect(await admitted.names == ["50"])
    }

    @Test func oneItemLargerThanTheBudgetPassesAloneRatherThanNever() async throws {
        let budget = ByteBudget(limit: 10)
        await budget.acquire(1_000)
        let admitted = Admissions()
        let waiter = Task {
            await budget.acquire(1)
            await admitted.note("1")
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(await admitted.names.isEmpty, "something was admitted beside an item over the whole budget")
        await budget.release(1_000)
        await waiter.value
    }

    @Test func aWaitingLargeItemIsNotOvertakenBySmallOnes() async throws {
        let budget = ByteBudget(limit: 100)
        await budget.acquire(90)
        let order = Admissions()
        let large = Task {
            await budget.acquire(80)
            await order.note("large")
        }
        try await Task.sleep(for: .milliseconds(50))
        let small = Task {
            await budget.acquire(5)  // would fit beside the 90, but the large one waits first
            await order.note("small")
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(await order.names.isEmpty, "the small item overtook the large one waiting before it")
        await budget.release(90)
        await large.value
        await small.value
        #expect(Set(await order.names) == ["large", "small"])
    }
}

/// What was admitted, in order.
private actor Admissions {
    private(set) var names: [String] = []
    func note(_ name: String) { names.append(name) }
}
