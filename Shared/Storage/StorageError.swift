/// The one error type of the storage layer. `description` never contains credentials or whole rows.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure it is; callers decide by it, never by the message.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        /// The code's name (`notFound`).
        public var description: String { raw }

        /// The configuration (a URL, a key) is unusable.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// The row asked for does not exist (or belongs to another marketplace).
        public static let notFound = Code("notFound")
        /// A uniqueness rule was broken (a label taken, for instance).
        public static let conflict = Code("conflict")
        /// Stored credentials could not be decrypted: wrong key or tampered data.
        public static let decryptionFailed = Code("decryptionFailed")
        /// A stored value could not be read back.
        public static let corruptData = Code("corruptData")
        /// A migration failed.
        public static let migrationFailed = Code("migrationFailed")
    }

    /// What kind of failure it is.
    public var code: Code
    /// What went wrong, in words for the log; never a credential or a whole row.
    public var message: String
    /// The error that caused this one (a PostgreSQL error, for instance), if any.
    public var underlying: (any Error)?

    /// Creates an error of a kind with its message and, optionally, its cause.
    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The code and the message (`notFound: …`).
    public var description: String { "\(code): \(message)" }
}
