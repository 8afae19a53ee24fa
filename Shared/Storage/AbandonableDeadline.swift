import Synchronization

/// A database operation did not finish within its limit; it was abandoned and may or may not have taken effect.
///
/// Retryable (`DatabaseFailure.isTransient`): the callers of batched writes retry with idempotent statements.
public struct DatabaseTimeout: Error, CustomStringConvertible {
    /// How long the operation was given.
    public let limit: Duration
    /// Creates the error for an operation that did not finish within `limit`.
    public init(limit: Duration) { self.limit = limit }
    /// The error in words for the log, with the limit.
    public var description: String { "the database did not answer within \(limit)" }
}

/// Runs `operation` in a task of its own and returns its result, or throws `DatabaseTimeout` once `limit` has
/// passed, whatever the operation is doing then.
///
/// This is not `withDeadline`-by-cancellation: a structured deadline waits for its child to end, and the operation
/// this guards against is one that never ends. PostgresNIO 1.33.2 can leave a query (`BEGIN`, `COMMIT`,
/// `ROLLBACK`) waiting for ever on a connection the server terminated during a restart (`pg_ctl stop -m fast`),
/// while the pool goes on serving other requests — and a `BatchWriter` whose flush never returns holds every later
/// batch of its writer. The abandoned operation is cancelled and left to end (or not) on its own; its connection
/// is already dead, so what it would still do is decided: the statements callers retry are idempotent.
func abandoningAfter<T: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withCheckedThrowingContinuation { continuation in
        race.start(continuation)
        let work = Task {
            let result: Result<T, any Error>
            do { result = .success(try await operation()) } catch { result = .failure(error) }
            race.finish(result)
        }
        let timer = Task {
            try await Task.sleep(for: limit)
            if race.finish(.failure(DatabaseTimeout(limit: limit))) { work.cancel() }
        }
        race.setTimer(timer)
    }
}

/// The first of operation and timer to finish resumes the caller; the other finds it done.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var timer: Task<Void, any Error>?
        var done = false
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func setTimer(_ timer: Task<Void, any Error>) {
        let cancel = state.withLock { state -> Bool in
            if state.done { return true }
            state.timer = timer
            return false
        }
        if cancel { timer.cancel() }
    }

    /// Resumes the caller with `result` unless the other side did; true when this call did.
    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let taken = state.withLock { state -> (CheckedContinuation<T, any Error>, Task<Void, any Error>?)? in
            guard !state.done, let continuation = state.continuation else { return nil }
            state.done = true
            state.continuation = nil
            defer { state.timer = nil }
            return (continuation, state.timer)
        }
        guard let (continuation, timer) = taken else { return false }
        timer?.cancel()
        continuation.resume(with: result)
        return true
    }
}
