/// Why a connector's call to its app did not do what was asked: the one error every connector throws (shaped like
/// PostgresNIO's `PSQLError`). `code` alone decides what happens next — retried, given up, the integration marked
/// `needs_reconnect` — and the worker runtime maps it once (`ConnectorKit`'s `ConnectorError+Runtime.swift`);
/// `message` is only for people.
public struct ConnectorError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. A struct rather than an enum so that a code can be added without breaking a `switch`
    /// elsewhere; `allCases` lists every one (the runtime's mapping is tested against it).
    public struct Code: Sendable, Hashable, CustomStringConvertible, CaseIterable {
        private enum Base: String, Sendable, CaseIterable {
            case needsReconnect, invalidInput, permanent, notFound, throttled, transient, timedOut, connectionRefused
            case unreachable
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// The app refused the credentials (wrong, revoked, or missing a value connecting stores): reconnect.
        public static let needsReconnect = Code(.needsReconnect)
        /// The request cannot be made at all: a required credential or field missing, no OAuth set up, an unknown
        /// action. Given up, and answered as a bad request.
        public static let invalidInput = Code(.invalidInput)
        /// The app will answer the same way every time (validation, compliance state, payment required, forbidden…).
        public static let permanent = Code(.permanent)
        /// The app does not have what the request names (an audience, a member, a list): given up.
        public static let notFound = Code(.notFound)
        /// The app limits the account's requests (429): worth trying again, after `retryAfter` when it said so.
        public static let throttled = Code(.throttled)
        /// The app failed or answered in a form it does not document (5xx, 408): worth trying again.
        public static let transient = Code(.transient)
        /// No answer within the timeout (connecting or reading): worth trying again.
        public static let timedOut = Code(.timedOut)
        /// Nothing listens at the app's address: worth trying again.
        public static let connectionRefused = Code(.connectionRefused)
        /// No connection for another reason (DNS, TLS, a reset connection…): worth trying again.
        public static let unreachable = Code(.unreachable)

        /// Every code.
        public static var allCases: [Code] { Base.allCases.map(Code.init) }

        /// The code's name, e.g. `needsReconnect`.
        public var description: String { base.rawValue }
    }

    /// The kind of failure, which decides retrying or giving up.
    public var code: Code
    /// A sentence for the merchant ("Mailchimp refused jane@example.com: …"); never a credential or a whole payload.
    public var message: String
    /// The HTTP status the app answered with, when it answered.
    public var status: Int?
    /// When the app said to come back (`Retry-After`), kept for the retry plan of a transient failure.
    public var retryAfter: Duration?
    /// The error underneath (a network or coding error), for logs; never shown to the merchant.
    public var underlying: (any Error)?

    /// Creates an error of a kind with its sentence for the merchant.
    public init(
        _ code: Code, _ message: String, status: Int? = nil, retryAfter: Duration? = nil, underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.status = status
        self.retryAfter = retryAfter
        self.underlying = underlying
    }

    /// `ConnectorError(code: throttled, status: 429, retryAfter: 30 seconds): <message>` — the message holds no
    /// secret, and the underlying error is left out (its text may quote a payload).
    public var description: String {
        var parts = ["code: \(code)"]
        if let status { parts.append("status: \(status)") }
        if let retryAfter { parts.append("retryAfter: \(retryAfter)") }
        return "ConnectorError(\(parts.joined(separator: ", "))): \(message)"
    }
}
