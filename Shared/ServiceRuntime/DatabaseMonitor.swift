import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Storage
import Synchronization

/// Knows, within about a second, whether PostgreSQL answers: it asks `SELECT 1` every second with a one-second
/// deadline. The HTTP edge uses it to answer `503` at once during an outage instead of hanging on a connection
/// pool that waits for a database that is not there, and `/health` reports it without waiting either.
public final class DatabaseMonitor: Service, Sendable {
    let client: PostgresClient
    let logger: Logger
    let interval: Duration
    let timeout: Duration
    private let state = Mutex<State>(State())

    struct State {
        var up = true
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    /// Creates a monitor that probes through `client` every `interval`, each probe given `timeout`.
    public init(
        client: PostgresClient, logger: Logger, interval: Duration = .seconds(1), timeout: Duration = .seconds(1)
    ) {
        self.client = client
        self.logger = logger
        self.interval = interval
        self.timeout = timeout
    }

    /// Whether the last probe was answered (true until the first one says otherwise).
    public var isUp: Bool { state.withLock { $0.up } }

    /// Probes the database until the process shuts down gracefully.
    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            let up = await probe()
            record(up)
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            } catch {
                return
            }
        }
    }

    /// Returns once the database is seen down (at once if it is), or when the task is cancelled.
    public func waitUntilDown() async {
        let id = state.withLock { state -> Int? in
            guard state.up else { return nil }
            state.nextWaiter += 1
            return state.nextWaiter
        }
        guard let id else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if !state.up || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    private func record(_ up: Bool) {
        let (changed, waiters) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            let changed = state.up != up
            state.up = up
            guard !up else { return (changed, []) }
            let waiters = Array(state.waiters.values)
            state.waiters = [:]
            return (changed, waiters)
        }
        for waiter in waiters { waiter.resume() }
        if changed {
            if up { logger.notice("PostgreSQL answers again") } else { logger.error("PostgreSQL does not answer") }
        }
    }

    /// One `SELECT 1` within the deadline.
    private func probe() async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    try await self.client.query("SELECT 1", logger: self.logger)
                    return true
                } catch {
                    return false
                }
            }
            group.addTask {
                try? await Task.sleep(for: self.timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
