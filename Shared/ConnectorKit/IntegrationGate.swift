import Foundation
import Metrics

/// Keeps one integration from taking more than its share of a worker, and pauses one whose app keeps failing.
///
/// - **Fair share**: at most `maximumInFlight` attempts of one integration run at once in this process; a command
///   over the cap is deferred (back to the broker for a moment) instead of holding one of the worker's prefetch
///   slots while it waits, and without counting as an attempt. One merchant's endpoint that never answers, or one
///   Mailchimp account flooded with work, then cannot occupy the slots every other merchant needs.
/// - **Circuit breaker** (`shared/vendors/webhooks.md`): when at least `failureThreshold` of the last `window`
///   attempts of an integration failed transiently (timeouts, 5xx, 429, refused connections), it is paused for a
///   cool-down that doubles each time it opens again (up to `maximumCooldown`); deferred work resumes when it
///   closes. After the cool-down one attempt goes through (half-open): success closes the circuit, failure
///   reopens it. Permanent refusals (a 400 about the data) say nothing about the endpoint and do not count.
actor IntegrationGate {
    /// What to do with a command now.
    enum Admission: Equatable {
        /// Perform it (call `finish` afterwards).
        case go
        /// Not now: defer it this long. `paused` carries the sentence for the log when the circuit is open.
        case wait(Duration, paused: String?)
    }

    struct Circuit {
        var inFlight = 0
        var recent: [Bool] = []
        var openUntil: Date?
        var cooldown: Duration
        var probing = false
        var lastFailures = 0
    }

    let maximumInFlight: Int
    let window: Int
    let failureThreshold: Int
    let baseCooldown: Duration
    let maximumCooldown: Duration
    private var circuits: [String: Circuit] = [:]
    private let opened: Counter
    private let deferred: Counter

    init(
        connector: String, maximumInFlight: Int, cooldown: Duration, window: Int = 10, failureThreshold: Int = 9,
        maximumCooldown: Duration = .seconds(600)
    ) {
        self.maximumInFlight = max(1, maximumInFlight)
        self.window = window
        self.failureThreshold = failureThreshold
        self.baseCooldown = cooldown
        self.maximumCooldown = max(cooldown, maximumCooldown)
        opened = Counter(label: "switchyard_connector_circuit_opened_total", dimensions: [("connector", connector)])
        deferred = Counter(label: "switchyard_connector_deferred_total", dimensions: [("connector", connector)])
    }

    func admit(_ integrationID: String, now: Date = Date()) -> Admission {
        var circuit = circuits[integrationID] ?? Circuit(cooldown: baseCooldown)
        defer { circuits[integrationID] = circuit }
        if let openUntil = circuit.openUntil {
            if now < openUntil || circuit.probing {
                deferred.increment()
                let next = max(openUntil, now.addingTimeInterval(1))
                let wait = Duration.milliseconds(Int64(next.timeIntervalSince(now) * 1000))
                return .wait(wait, paused: pausedReason(circuit, until: next))
            }
            circuit.probing = true
        } else if circuit.inFlight >= maximumInFlight {
            deferred.increment()
            return .wait(.seconds(1), paused: nil)
        }
        circuit.inFlight += 1
        return .go
    }

    /// Records how an admitted command ended: `failed` is true for a transient failure, false for anything else,
    /// nil when nothing was performed (a duplicate).
    func finish(_ integrationID: String, failed: Bool?, now: Date = Date()) {
        guard var circuit = circuits[integrationID] else { return }
        defer {
            let idle = circuit.inFlight == 0 && circuit.openUntil == nil && circuit.recent.isEmpty
            circuits[integrationID] = idle ? nil : circuit
        }
        circuit.inFlight = max(0, circuit.inFlight - 1)
        guard let failed else {
            circuit.probing = false
            return
        }
        if circuit.probing {
            circuit.probing = false
            if failed {
                circuit.cooldown = min(circuit.cooldown * 2, maximumCooldown)
                circuit.openUntil = now.addingTimeInterval(circuit.cooldown.seconds)
                opened.increment()
            } else {
                circuit = Circuit(inFlight: circuit.inFlight, cooldown: baseCooldown)
            }
            return
        }
        circuit.recent.append(failed)
        if circuit.recent.count > window { circuit.recent.removeFirst(circuit.recent.count - window) }
        let failures = circuit.recent.filter { $0 }.count
        if circuit.recent.count >= window, failures >= failureThreshold, circuit.openUntil == nil {
            circuit.lastFailures = failures
            circuit.openUntil = now.addingTimeInterval(circuit.cooldown.seconds)
            opened.increment()
        }
    }

    private func pausedReason(_ circuit: Circuit, until next: Date) -> String {
        let failures = circuit.lastFailures > 0 ? circuit.lastFailures : failureThreshold
        return "Paused: the endpoint failed \(failures) of its last \(window) deliveries; next try at "
            + "\(ISO8601DateFormatter().string(from: next))."
    }
}

extension Duration {
    /// Seconds with their fraction.
    var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
