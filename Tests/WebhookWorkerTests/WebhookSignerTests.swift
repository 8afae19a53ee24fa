import AsyncHTTPClient
import ConnectorKit
import Connectors
import Foundation
import Messages
import NIOCore
import NIOHTTP1
import Pipeline
import Testing

@testable import WebhookWorker

@Suite struct WebhookSignerTests {
    @Test("the Standard Webhooks test vector from shared/vendors/webhooks.md")
    func standardVector() throws {
        let signer = try #require(WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = signer.signature(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func refusesSecretsThatAreNotStandardWebhooksSecrets() {
        #expect(WebhookSigner(secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil)
        #expect(WebhookSigner(secret: "whsec_!!!") == nil)
    }

    @Test func retryScheduleHonoursRetryAfterAndEnds() {
        let policy = RetryPolicy(delays: [.seconds(5), .seconds(30), .seconds(120)])
        #expect(policy.maximumAttempts == 4)
        #expect(policy.delay(afterAttempt: 1) == .seconds(5))
        #expect(policy.delay(afterAttempt: 3) == .seconds(120))
        #expect(policy.delay(afterAttempt: 4) == nil)
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(20)) == .seconds(30))
        #expect(policy.delay(afterAttempt: 1, retryAfter: .seconds(999)) == .seconds(120))
        for _ in 0..<100 {
            let jittered = policy.jittered(.seconds(10))
            #expect(jittered >= .seconds(8) && jittered <= .seconds(12))
        }
        #expect(RetryPolicy().totalSpan >= .seconds(72 * 3600), "the default spans at least 72 hours (Stripe: 3 days)")
        #expect(
            RetryPolicy().maximumAge >= RetryPolicy().totalSpan * 6 / 5, "the maximum age fits the jittered schedule")
    }

    @Test func retryAfterIsAFloorThatJitterOnlyAddsTo() {
        let policy = RetryPolicy(delays: [.seconds(5), .seconds(30), .seconds(120)])
        // A Retry-After of 28 s picks the 30 s tier, whose jitter (24–36 s) would often fall below 28 s.
        for _ in 0..<500 {
            let tier = policy.delay(afterAttempt: 1, retryAfter: .seconds(28)) ?? .zero
            let expiration = policy.jittered(tier, notBefore: .seconds(28))
            #expect(expiration >= .seconds(28) && expiration <= .seconds(36), "\(expiration)")
        }
    }

    @Test func aReplayGetsTheWholeScheduleAgain() {
        let policy = RetryPolicy(delays: [.seconds(5), .seconds(30)])
        let event = TriggerEvent(id: "e", type: .productPurchased, customer: .init(email: "a@x.io"))
        let rule = RuleSnapshot(
            id: "r", trigger: .productPurchased, productID: nil, integrationID: "i", integrationLabel: "L",
            connector: "webhook", action: "post", destination: .init(kind: .url, name: "http://x.io"))
        // The original gave up after attempt 3; its replay starts at attempt 4.
        let replay = ActionCommand(
            commandID: "c", marketplaceID: "m", event: event, rule: rule, attempt: 4, createdAt: Date(), replay: 1,
            firstAttempt: 4)
        #expect(replay.scheduledAttempt == 1)
        #expect(policy.delay(afterAttempt: replay.scheduledAttempt) == .seconds(5))
    }

    @Test func classifiesStatusesAsTheDeliveryConventionsSay() throws {
        #expect(HTTPHeaders([("Retry-After", "30")]).retryAfter == .seconds(30))
        #expect(HTTPHeaders([("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")]).retryAfter == .zero, "a date passed")
        let soon = Date().addingTimeInterval(120)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let delay = try #require(HTTPHeaders([("Retry-After", formatter.string(from: soon))]).retryAfter)
        #expect(delay > .seconds(110) && delay <= .seconds(121))
        #expect(HTTPHeaders([("Retry-After", "soon")]).retryAfter == nil)
        #expect(HTTPHeaders().retryAfter == nil)
        let url = try #require(URL(string: "https://shop.example/hook"))
        let refused = WebhookDelivery.classify(
            IOError(errnoCode: ECONNREFUSED, reason: "connect"), url: url, host: "shop.example", timeout: .seconds(15))
        #expect(refused.verdict == .transient(retryAfter: nil))
        #expect(refused.message == "shop.example refused the connection (nothing is listening there).")
        // Text that merely mentions a refusal is not a refusal: only the error's type decides.
        let lookalike = WebhookDelivery.classify(
            HarnessLikeError("Connection refused (errno: 111)"), url: url, host: "shop.example", timeout: .seconds(15))
        #expect(lookalike.verdict == .transient(retryAfter: nil))
        #expect(lookalike.message == "shop.example could not be reached (Connection refused (errno: 111)).")
        let unusable = WebhookDelivery.classify(
            HTTPClientError.unsupportedScheme("https"), url: url, host: "shop.example", timeout: .seconds(15))
        #expect(unusable.verdict == .permanent)
        #expect(unusable.message == "The rule's URL cannot be used: HTTPClientError.unsupportedScheme(\"https\").")
    }
}

private struct HarnessLikeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
