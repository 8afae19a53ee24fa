import Foundation
import Messages

/// One entry of a marketplace's integration log: what happened to one (event, rule) pair, or to an event that
/// matched no rule. Its JSON form is the log service's API (`shared/API.md`).
public struct LogEntry: Codable, Sendable, Equatable {
    public var id: String
    public var eventID: String
    /// Nil only for the entry of a message refused before its trigger type could be read.
    public var trigger: String?
    public var test: Bool
    public var customerEmail: String
    public var productID: String?
    public var ruleID: String?
    public var integrationID: String?
    public var integrationLabel: String?
    public var connector: String?
    public var action: String?
    public var destination: Destination?
    public var status: LogStatus
    public var reason: String
    public var attempts: [Attempt]
    public var createdAt: Date
    public var updatedAt: Date

    /// One try at performing the action.
    public struct Attempt: Codable, Sendable, Equatable {
        public var number: Int
        public var at: Date
        public var outcome: String
        public var request: String
        public var response: String
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
    public var email: String?
    public var trigger: String?
    public var status: LogStatus?
    public var integrationID: String?
    public var productID: String?
    public var eventID: String?
    public var since: Date?
    public var until: Date?
    /// Entries older than this position (from a previous page's cursor).
    public var before: Int64?
    public var limit: Int

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
