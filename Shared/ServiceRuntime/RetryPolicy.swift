/// When to try a failed action again: growing delays with ±20 % jitter, `Retry-After` honoured, then give up.
/// The default reaches about 35 hours — longer than the well-known senders' schedules (`shared/vendors/webhooks.md`).
public struct RetryPolicy: Sendable {
    public static let defaultDelays: [Duration] = [
        .seconds(5), .seconds(30), .seconds(120), .seconds(600), .seconds(1800), .seconds(3600), .seconds(10800),
        .seconds(21600), .seconds(43200), .seconds(43200),
    ]

    /// The pause after the first, second, … failed attempt. Each distinct delay is a delay queue on the broker.
    public let delays: [Duration]

    public init(delays: [Duration] = RetryPolicy.defaultDelays) {
        self.delays = delays.isEmpty ? RetryPolicy.defaultDelays : delays
    }

    /// Attempts in all, the first included.
    public var maximumAttempts: Int { delays.count + 1 }

    /// The delay tier after failed attempt `attempt` (1-based), or nil when it was the last. A `Retry-After`
    /// longer than the scheduled delay moves the retry to the first tier that honours it.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil) -> Duration? {
        guard attempt >= 1, attempt <= delays.count else { return nil }
        let scheduled = delays[attempt - 1]
        guard let retryAfter, retryAfter > scheduled else { return scheduled }
        return delays.sorted().first { $0 >= retryAfter } ?? delays.max() ?? scheduled
    }

    /// A per-message expiration within ±20 % of the tier, so retries of many actions do not arrive in lockstep.
    public func jittered(_ delay: Duration) -> Duration {
        let factor = Double.random(in: 0.8...1.2)
        return .milliseconds(Int64(Double(delay.milliseconds) * factor))
    }

    /// The sum of every delay: how long an action may keep being retried.
    public var totalSpan: Duration { delays.reduce(.zero, +) }
}
