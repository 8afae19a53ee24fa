import ConnectorKit
import Connectors
import Messages
import Testing

/// Each connector error code ends an action and answers the gateway one way, decided in one place.
@Suite struct ConnectorErrorRuntimeTests {
    /// What every code must mean: the action's verdict (transient ones with the app's `Retry-After`) and the
    /// reply's code.
    typealias Meaning = (transient: Bool, verdict: ActionResult.Verdict, reply: ConnectorReply.Failure.Code)
    static let expected: [ConnectorError.Code: Meaning] = [
        .needsReconnect: (false, .needsReconnect, .invalidCredentials),
        .invalidInput: (false, .permanent, .badRequest),
        .permanent: (false, .permanent, .refused),
        .notFound: (false, .permanent, .refused),
        .throttled: (true, .transient(retryAfter: nil), .unavailable),
        .transient: (true, .transient(retryAfter: nil), .unavailable),
        .timedOut: (true, .transient(retryAfter: nil), .unavailable),
        .connectionRefused: (true, .transient(retryAfter: nil), .unavailable),
        .unreachable: (true, .transient(retryAfter: nil), .unavailable),
    ]

    @Test("every code has a decided verdict and reply (a new code fails here until it gets one)")
    func everyCodeIsDecided() {
        #expect(Set(ConnectorError.Code.allCases) == Set(Self.expected.keys))
        #expect(ConnectorError.Code.allCases.count == Self.expected.count, "no code listed twice")
    }

    @Test(
        "each code becomes its verdict and its reply code, with the message word for word",
        arguments: ConnectorError.Code.allCases)
    func mapping(_ code: ConnectorError.Code) throws {
        let expected = try #require(Self.expected[code])
        let message = "Mailchimp refused jane@example.com: the address is already a member."
        let error = ConnectorError(code, message)
        #expect(error.verdict == expected.verdict)
        #expect(error.reply == ConnectorReply.Failure(code: expected.reply, message: message))
    }

    @Test(
        "a transient failure carries the app's Retry-After into the verdict; a final one has no retry to plan",
        arguments: ConnectorError.Code.allCases)
    func retryAfter(_ code: ConnectorError.Code) throws {
        let expected = try #require(Self.expected[code])
        let error = ConnectorError(code, "Try later.", status: 429, retryAfter: .seconds(30))
        #expect(error.verdict == (expected.transient ? .transient(retryAfter: .seconds(30)) : expected.verdict))
        #expect(error.reply.code == expected.reply, "the reply does not depend on Retry-After")
    }

    @Test("the description names the code and status but not the underlying error's text")
    func description() {
        struct Leaky: Error, CustomStringConvertible { var description: String { "api_key=secret" } }
        let error = ConnectorError(.throttled, "Too many requests.", status: 429, underlying: Leaky())
        #expect(error.description == "ConnectorError(code: throttled, status: 429): Too many requests.")
    }
}
