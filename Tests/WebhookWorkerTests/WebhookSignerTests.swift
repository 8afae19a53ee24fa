import ConnectorKit
import Foundation
import NIOHTTP1
import ServiceRuntime
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
        #expect(RetryPolicy().totalSpan > .seconds(30 * 3600), "the default outlasts the well-known senders")
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
        let (verdict, reason) = WebhookDelivery.classify(HarnessLikeError("Connection refused (errno: 111)"), host: "shop.example", timeout: .seconds(15))
        #expect(verdict == .transient(retryAfter: nil))
        #expect(reason.contains("refused the connection"))
    }
}

private struct HarnessLikeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
