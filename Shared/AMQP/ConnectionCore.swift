import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A publish waiting to be sent by the connection thread; the caller is suspended on `continuation`.
struct PublishRequest: Sendable {
    /// The message to send.
    let message: AMQPMessage
    /// Target exchange.
    let exchange: String
    /// Routing key.
    let routingKey: String
    /// When the caller stops waiting for the confirm and gets `.timeout`.
    let deadline: ContinuousClock.Instant
    /// Resumed exactly once, by the connection thread (or by the submitter when submission fails).
    let continuation: CheckedContinuation<Void, any Error>
}

/// A consumer registration handed to the connection thread, which owns the consumer from then on.
struct ConsumerRegistration: Sendable {
    /// Identifies the consumer across reconnections (channels and consumer tags change).
    let id: UInt64
    /// The queue to consume.
    let queue: String
    /// `basic.qos` prefetch count.
    let prefetch: UInt16
    /// Where deliveries are yielded.
    let continuation: AsyncStream<AMQPDelivery>.Continuation
}

/// Work that other threads ask the connection thread to do; rabbitmq-c may only be called from that thread.
enum ConnectionCommand: Sendable {
    /// Publish a message with confirms.
    case publish(PublishRequest)
    /// Acknowledge a delivery; `generation` guards against acking stale tags after a reconnect.
    case ack(channel: UInt16, deliveryTag: UInt64, generation: UInt64)
    /// Reject a delivery, optionally requeueing it.
    case reject(channel: UInt16, deliveryTag: UInt64, generation: UInt64, requeue: Bool)
    /// Start (and keep restarting after reconnects) a consumer.
    case addConsumer(ConsumerRegistration)
    /// Stop a consumer; its stream finishes once the broker confirmed.
    case cancelConsumer(id: UInt64)
}

/// The state shared between callers and the connection thread: a lock-protected command queue plus a wake-up
/// pipe, the connection status and the waiters for it. Everything else belongs to the thread alone.
final class ConnectionCore: Sendable {
    /// Where the connection is in its life.
    enum Phase: Sendable {
        /// `run()` has not been called yet.
        case idle
        /// The thread is running (connected or not).
        case running
        /// Shutdown started or finished; every new call fails with `.closed`.
        case closed
    }

    /// A `waitUntilConnected` caller, or a marker that it was cancelled before it registered.
    enum Waiter: Sendable {
        case waiting(CheckedContinuation<Bool, Never>)
        case cancelled
    }

    /// Everything guarded by `state`.
    struct State: Sendable {
        var phase: Phase = .idle
        var connected = false
        /// The reason the broker gave in `connection.blocked`, until `connection.unblocked` or a reconnect.
        var blockedReason: String?
        var stopRequested = false
        var commands: [ConnectionCommand] = []
        /// Whether a wake-up byte is already on its way; avoids one syscall per command under load.
        var wakePending = false
        var nextID: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        var threadExited = false
        var exitWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// The guarded state.
    let state = Mutex(State())
    /// Read end of the wake-up pipe, polled by the thread; -1 if the pipe could not be created.
    let wakeReadFD: Int32
    /// Write end of the wake-up pipe.
    let wakeWriteFD: Int32
    /// Where problems are reported.
    let logger: Logger

    /// Creates the pipe; without it the thread still works, only reacting to commands within 100 ms.
    init(logger: Logger) {
        self.logger = logger
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
            wakeReadFD = fds[0]
            wakeWriteFD = fds[1]
        } else {
            logger.error("AMQP: cannot create wake-up pipe; commands will be picked up by polling")
            wakeReadFD = -1
            wakeWriteFD = -1
        }
    }

    deinit {
        if wakeReadFD >= 0 { close(wakeReadFD) }
        if wakeWriteFD >= 0 { close(wakeWriteFD) }
    }

    /// A process-unique number for consumers and waiters.
    func makeID() -> UInt64 {
        state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
    }

    /// Whether the connection is open.
    var isConnected: Bool { state.withLock { $0.connected } }

    /// Why the broker blocked publishing on this connection, or nil when it does not.
    var blockedReason: String? { state.withLock { $0.blockedReason } }

    /// Records `connection.blocked` (a reason) or `connection.unblocked` (nil); called by the thread.
    func setBlocked(_ reason: String?) {
        state.withLock { $0.blockedReason = reason }
    }

    /// Queues a command unless the connection is closed; returns whether it was queued.
    @discardableResult
    func enqueue(_ command: ConnectionCommand) -> Bool {
        let (queued, wake) = state.withLock { state -> (Bool, Bool) in
            guard state.phase != .closed else { return (false, false) }
            state.commands.append(command)
            let wake = !state.wakePending
            state.wakePending = true
            return (true, wake)
        }
        if wake { self.wake() }
        return queued
    }

    /// Queues a publish if, and only if, the connection is open and not blocked by the broker right now;
    /// otherwise returns the error to throw.
    /// Checking and queueing under one lock means the thread either sees the publish before it declares the
    /// connection lost (and fails it with `.connectionLost`) or the caller gets `.notConnected`.
    func submitPublish(_ request: PublishRequest) -> AMQPError? {
        let (error, wake) = state.withLock { state -> (AMQPError?, Bool) in
            switch state.phase {
            case .closed:
                return (AMQPError(code: .closed, message: "the connection has been shut down"), false)
            case .idle:
                return (AMQPError(code: .notConnected, message: "the connection has not been started"), false)
            case .running:
                guard state.connected else {
                    return (AMQPError(code: .notConnected, message: "not connected to the broker"), false)
                }
                if let reason = state.blockedReason {
                    let message = "the broker blocked publishing (\(reason)); the message was not sent"
                    return (AMQPError(code: .blocked, message: message), false)
                }
                state.commands.append(.publish(request))
                let wake = !state.wakePending
                state.wakePending = true
                return (nil, wake)
            }
        }
        if wake { self.wake() }
        return error
    }

    /// Interrupts the thread's `poll`.
    func wake() {
        guard wakeWriteFD >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(wakeWriteFD, &byte, 1)
    }

    /// Empties the wake-up pipe; called by the thread after `poll` reported it readable.
    func drainWakePipe() {
        guard wakeReadFD >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(wakeReadFD, &buffer, buffer.count) > 0 {}
    }

    /// Takes all queued commands; called by the thread only.
    func takeCommands() -> (commands: [ConnectionCommand], stop: Bool) {
        state.withLock { state in
            state.wakePending = false
            let commands = state.commands
            state.commands = []
            return (commands, state.stopRequested)
        }
    }

    /// Marks the start of `run()`; false if it was already started or closed.
    func start() -> Bool {
        state.withLock { state in
            guard state.phase == .idle else { return false }
            state.phase = .running
            return true
        }
    }

    /// Asks the thread to shut down (graceful shutdown or task cancellation of `run()`).
    func requestStop() {
        let neverStarted = state.withLock { state -> Bool in
            state.stopRequested = true
            if state.phase == .idle {
                state.phase = .closed
                return true
            }
            return false
        }
        if neverStarted { resumeWaiters(connected: false) }
        wake()
    }

    /// Publishes the connection status; on connect resumes everyone waiting for it.
    /// A lost connection is no longer blocked: the broker repeats `connection.blocked` on the next one.
    func setConnected(_ connected: Bool) {
        state.withLock { state in
            state.connected = connected
            if !connected { state.blockedReason = nil }
        }
        if connected { resumeWaiters(connected: true) }
    }

    /// Closes the door for new work and returns the commands that got in before; the thread processes them
    /// (flushing acks) before closing the connection.
    func closeForShutdown() -> [ConnectionCommand] {
        let commands = state.withLock { state in
            state.phase = .closed
            state.connected = false
            state.blockedReason = nil
            let commands = state.commands
            state.commands = []
            return commands
        }
        resumeWaiters(connected: false)
        return commands
    }

    /// Called by the thread as its very last action; lets `run()` return.
    func threadDidExit() {
        let waiters = state.withLock { state in
            state.threadExited = true
            let waiters = state.exitWaiters
            state.exitWaiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Suspends until the thread has exited.
    func waitForThreadExit() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let exited = state.withLock { state in
                if !state.threadExited { state.exitWaiters.append(continuation) }
                return state.threadExited
            }
            if exited { continuation.resume() }
        }
    }

    /// Suspends until connected (true), closed (false) or the calling task is cancelled (false).
    func waitForConnection() async -> Bool {
        let id = makeID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let immediate = state.withLock { state -> Bool? in
                    if state.connected { return true }
                    if state.phase == .closed { return false }
                    if case .cancelled = state.waiters[id] {
                        state.waiters[id] = nil
                        return false
                    }
                    state.waiters[id] = .waiting(continuation)
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Bool, Never>? in
                if case .waiting(let continuation) = state.waiters[id] {
                    state.waiters[id] = nil
                    return continuation
                }
                state.waiters[id] = .cancelled
                return nil
            }
            continuation?.resume(returning: false)
        }
    }

    /// Resumes every registered connection waiter.
    private func resumeWaiters(connected: Bool) {
        let continuations = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            var result: [CheckedContinuation<Bool, Never>] = []
            for case .waiting(let continuation) in state.waiters.values {
                result.append(continuation)
            }
            // `.cancelled` markers only matter while neither connected nor closed; drop them with the rest.
            state.waiters = [:]
            return result
        }
        for continuation in continuations { continuation.resume(returning: connected) }
    }
}
