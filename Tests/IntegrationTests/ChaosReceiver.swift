import Foundation
import Hummingbird
import Synchronization

/// The merchant endpoint of the chaos run: it misbehaves on purpose, deterministically by request. Each event
/// gets a profile from a hash of (tenant, event id); the n-th request of one `webhook-id` is then answered by
/// that profile: 2xx, 500, 429 with `Retry-After: 1`, or a hang longer than the workers' webhook timeout
/// (after which it answers 503, to nobody). A delivery is recorded as *performed* only when the receiver
/// answers it 2xx: that is when the app did the work.
///
/// Paths: `/chaos/<tenant>` misbehaves by profile, `/calm/<tenant>` always answers 204 (the recovery probes).
final class ChaosReceiver: Sendable {
    /// What one request gets.
    enum Answer: String, Sendable {
        case ok, serverError, throttled, hang
    }

    /// How an event's deliveries are answered, by request number (1-based) of one `webhook-id`.
    enum Profile: String, Sendable, CaseIterable {
        /// 2xx at once.
        case healthy
        /// 500, then 2xx.
        case errorOnce
        /// 429 with `Retry-After: 1`, then 2xx.
        case throttledOnce
        /// Hangs past the webhook timeout, then 2xx.
        case hangOnce
        /// 500, 429, hang, then 2xx: success on the fourth attempt, the last one of the run's schedule.
        case everything
        /// 500 for ever: the entry must end `failed`.
        case alwaysFailing

        func answer(request number: Int) -> Answer {
            switch self {
            case .healthy: return .ok
            case .errorOnce: return number == 1 ? .serverError : .ok
            case .throttledOnce: return number == 1 ? .throttled : .ok
            case .hangOnce: return number == 1 ? .hang : .ok
            case .everything: return [Answer.serverError, .throttled, .hang].dropFirst(number - 1).first ?? .ok
            case .alwaysFailing: return .serverError
            }
        }

        /// The status the entry ends with when nothing but the receiver gets in the way.
        var expectedStatus: Logs.LogStatus { self == .alwaysFailing ? .failed : .success }
    }

    /// The profile of an event, from a stable hash (FNV-1a) of tenant and event id: 60 % healthy, 10 % each of
    /// error, throttled and hang once, 5 % everything, 5 % always failing.
    static func profile(tenant: String, eventID: String) -> Profile {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(tenant)/\(eventID)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0100_0000_01b3
        }
        switch hash % 20 {
        case 0..<12: return .healthy
        case 12, 13: return .errorOnce
        case 14, 15: return .throttledOnce
        case 16, 17: return .hangOnce
        case 18: return .everything
        default: return .alwaysFailing
        }
    }

    /// One request as the receiver saw it.
    struct Request: Sendable {
        var tenant: String
        var eventID: String
        var webhookID: String
        /// The request number of this `webhook-id`, 1-based.
        var number: Int
        var answer: Answer
        var at: ContinuousClock.Instant
    }

    /// An event of one tenant: what "performed twice" is counted by.
    struct EventKey: Hashable, Sendable {
        var tenant: String
        var eventID: String
    }

    let port: Int
    private let log: ChaosRequestLog

    private init(port: Int, log: ChaosRequestLog) {
        self.port = port
        self.log = log
    }

    /// The URL a tenant's rule posts to: misbehaving, or (`calm`) always 204.
    func url(tenant: String, calm: Bool = false) -> String {
        "http://127.0.0.1:\(port)/\(calm ? "calm" : "chaos")/\(tenant)"
    }

    /// Every request so far, in arrival order.
    var requests: [Request] { log.state.withLock { $0.requests } }

    /// Requests whose body was not a webhook payload with an event id (answered 400, never performed).
    var unreadable: Int { log.state.withLock { $0.unreadable } }

    /// How many times each event was performed: requests answered 2xx, counted per (tenant, event id).
    func performedCounts() -> [EventKey: Int] {
        var counts: [EventKey: Int] = [:]
        for request in requests where request.answer == .ok {
            counts[EventKey(tenant: request.tenant, eventID: request.eventID), default: 0] += 1
        }
        return counts
    }

    /// Starts serving; `hang` is how long a hanging request is held before its (unseen) 503.
    static func start(hang: Duration) async throws -> ChaosReceiver {
        let log = ChaosRequestLog()
        let router = Router()
        router.post("/**") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1024 * 1024)
            let parts = request.uri.path.split(separator: "/").map(String.init)
            // A webhook payload, not the API's contract: read as plain JSON.
            let payload = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView))
            guard parts.count == 2, ["chaos", "calm"].contains(parts[0]),
                let eventID = payload?["data"]?["id"]?.string
            else {
                log.state.withLock { $0.unreadable += 1 }
                return Response(status: .badRequest)
            }
            let tenant = parts[1]
            let webhookID = request.headers[.spelled("webhook-id")] ?? ""
            let answer = log.state.withLock { state -> Answer in
                let number = state.perWebhookID[webhookID, default: 0] + 1
                state.perWebhookID[webhookID] = number
                let answer: Answer =
                    parts[0] == "calm" ? .ok : profile(tenant: tenant, eventID: eventID).answer(request: number)
                state.requests.append(
                    Request(
                        tenant: tenant, eventID: eventID, webhookID: webhookID, number: number, answer: answer,
                        at: .now))
                return answer
            }
            switch answer {
            case .ok:
                return Response(status: .noContent)
            case .serverError:
                return Response(status: .internalServerError)
            case .throttled:
                return Response(status: .tooManyRequests, headers: [.spelled("retry-after"): "1"])
            case .hang:
                try? await Task.sleep(for: hang)
                return Response(status: .serviceUnavailable)
            }
        }
        let port = try await InProcessServer.start(router, name: "chaos-receiver")
        return ChaosReceiver(port: port, log: log)
    }
}

/// The chaos receiver's request log, shared with its route handler.
private final class ChaosRequestLog: Sendable {
    struct State {
        var requests: [ChaosReceiver.Request] = []
        var perWebhookID: [String: Int] = [:]
        var unreadable = 0
    }

    let state = Mutex(State())
}
