/// When to try a failed action again: growing delays with jitter, `Retry-After` honoured as a floor, up to a
/// maximum age, then give up. The default spans about 76 hours — longer than the well-known senders' schedules
/// (Stripe 3 days, Svix 28 h; `shared/vendors/webhooks.md`).
public struct RetryPolicy: Sendable {
    /// The default schedule: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h, then 24 h twice.
    public static let defaultDelays: [Duration] = [
        .seconds(5), .seconds(30), .seconds(120), .seconds(600), .seconds(1800), .seconds(3600), .seconds(7200),
        .seconds(14400), .seconds(28800), .seconds(43200), .seconds(86400), .seconds(86400),
    ]
    /// How long after its creation an action may still be tried: the schedule with its jitter fits in it.
    public static let defaultMaximumAge: Duration = .seconds(96 * 3600)

    /// The pause after the first, second, … failed attempt. Each distinct delay is a delay queue on the broker.
    public let delays: [Duration]
    /// After this long since the action was created (or replayed) it is not retried any more.
    public let maximumAge: Duration

    /// Creates a policy with these delays (the default for none) and maximum age (derived from the delays for nil).
    public init(delays: [Duration] = RetryPolicy.defaultDelays, maximumAge: Duration? = nil) {
        self.delays = delays.isEmpty ? RetryPolicy.defaultDelays : delays
        // Without an explicit age, the schedule itself decides (its span with the largest jitter, and a margin).
        self.maximumAge = maximumAge ?? max(RetryPolicy.defaultMaximumAge, self.delays.reduce(.zero, +) * 2)
    }

    /// Attempts in all, the first included.
    public var maximumAttempts: Int { delays.count + 1 }

    /// The delay tier after failed attempt `attempt` (1-based, counted from the start of this performance), or
    /// nil when it was the last. A `Retry-After` longer than the scheduled delay moves the retry to the first tier
    /// that is at least as long.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil) -> Duration? {
        guard attempt >= 1, attempt <= delays.count else { return nil }
        let scheduled = delays[attempt - 1]
        guard let retryAfter, retryAfter > scheduled else { return scheduled }
        return delays.sorted().first { $0 >= retryAfter } ?? delays.max() ?? scheduled
    }

    /// A per-message expiration within ±20 % of the tier, so retries of many actions do not arrive in lockstep,
    /// but never before `retryAfter`: the app's `Retry-After` is a floor that jitter may only add to.
    public func jittered(_ delay: Duration, notBefore retryAfter: Duration? = nil) -> Duration {
        let factor = Double.random(in: 0.8...1.2)
        let jittered = Duration.milliseconds(Int64(Double(delay.milliseconds) * factor))
        guard let retryAfter, jittered < retryAfter else { return jittered }
        // Above the floor by up to 10 % of it, within the delay queue's TTL (120 % of the tier).
        let spread = Double(retryAfter.milliseconds) * Double.random(in: 0...0.1)
        return min(retryAfter + .milliseconds(Int64(spread)), delay * 6 / 5)
    }

    /// The sum of every delay: how long an action may keep being retried.
    public var totalSpan: Duration { delays.reduce(.zero, +) }
}
