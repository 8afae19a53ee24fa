import Foundation
import Messages

/// One entry of a marketplace's integration log: what happened to one (event, rule) pair, or to an event that
/// matched no rule. Its JSON form is the log service's API (`shared/API.md`).
public struct LogEntry: Codable, Sendable, Equatable {
    /// The entry's id (`log_…`), also the id of its action command.
    public var id: String
    /// The store-assigned id of the event the entry is about.
    public var eventID: String
    /// Nil only for the entry of a message refused before its trigger type could be read.
    public var trigger: String?
    /// Whether the event was a sandbox/test order.
    public var test: Bool
    /// The customer's email address as the event carried it.
    public var customerEmail: String
    /// The product the entry is about, if any.
    public var productID: String?
    /// The rule whose action the entry records; nil for an event that matched no rule.
    public var ruleID: String?
    /// The rule's integration; nil without a rule.
    public var integrationID: String?
    /// The integration's label when the event matched; nil without a rule.
    public var integrationLabel: String?
    /// The integration's connector (`mailchimp`); nil without a rule.
    public var connector: String?
    /// The connector action (`add_tag`); nil without a rule.
    public var action: String?
    /// Where the action goes in the app; nil without a rule.
    public var destination: Destination?
    /// Where the entry stands.
    public var status: LogStatus
    /// A sentence a merchant understands, saying why the entry has its status.
    public var reason: String
    /// Every attempt, in order; empty in search results read without attempts.
    public var attempts: [Attempt]
    /// When the entry's first outcome happened.
    public var createdAt: Date
    /// When the outcome the entry shows happened.
    public var updatedAt: Date

    /// One try at performing the action.
    public struct Attempt: Codable, Sendable, Equatable {
        /// The attempt number (1 for the first try).
        public var number: Int
        /// When the attempt started.
        public var at: Date
        /// How it ended: `success`, `transient_failure` or `permanent_failure` (`Outcome.AttemptOutcome`).
        public var outcome: String
        /// A short summary of what was sent (method, URL, body size); never a credential.
        public var request: String
        /// A short summary of what the app answered (status and the start of the body).
        public var response: String
        /// How long the attempt took, in milliseconds.
        public var durationMS: Int

        enum CodingKeys: String, CodingKey {
            case number, at, outcome, request, response
            case durationMS = "duration_ms"
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, trigger, test, connector, action, destination, status, reason, attempts
        case eventID = "event_id"
        case customerEmail = "customer_email"
        case productID = "product_id"
        case ruleID = "rule_id"
        case integrationID = "integration_id"
        case integrationLabel = "integration_label"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// The filters of a log search; nil means any.
public struct LogQuery: Sendable {
    /// Entries of this customer email, compared case-insensitively and trimmed.
    public var email: String?
    /// Entries of this trigger type (`product.purchased`).
    public var trigger: String?
    /// Entries with this status.
    public var status: LogStatus?
    /// Entries of this integration.
    public var integrationID: String?
    /// Entries of this product.
    public var productID: String?
    /// Entries of this event.
    public var eventID: String?
    /// Entries created at or after this time.
    public var since: Date?
    /// Entries created before this time.
    public var until: Date?
    /// Entries older than this position (from a previous page's cursor).
    public var before: Int64?
    /// The most entries a page holds; the search bounds it to 1…500.
    public var limit: Int

    /// Creates a query with every filter given; no filter matches every entry, 50 a page.
    public init(
        email: String? = nil, trigger: String? = nil, status: LogStatus? = nil, integrationID: String? = nil,
        productID: String? = nil, eventID: String? = nil, since: Date? = nil, until: Date? = nil,
        before: Int64? = nil, limit: Int = 50
    ) {
        self.email = email
        self.trigger = trigger
        self.status = status
        self.integrationID = integrationID
        self.productID = productID
        self.eventID = eventID
        self.since = since
        self.until = until
        self.before = before
        self.limit = limit
    }
}
