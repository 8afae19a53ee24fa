/// The one error type of the storage layer. `description` never contains credentials or whole rows.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
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

    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "\(code): \(message)" }
}
