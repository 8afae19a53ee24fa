import Foundation

/// What happened to one log entry: sent by the matcher (pending, skipped) and the connector workers (every
/// attempt), consumed by the log service. Outcomes can arrive twice or out of order; `attempt` and the status
/// rank decide which one the entry shows.
public struct Outcome: Contract, Equatable {
    /// The contract name of an outcome.
    public static let contract = "switchyard.outcome.v1"

    /// The log entry the outcome updates (`log_…`), the same as the action command's id.
    public var entryID: String
    /// The marketplace the entry belongs to.
    public var marketplaceID: String
    /// The store-assigned id of the trigger event the entry is about.
    public var eventID: String
    /// Nil only for an AMQP message refused before its trigger type could be read.
    public var trigger: TriggerType?
    /// Whether the event was a sandbox/test order.
    public var test: Bool
    /// The customer's email address as the event carried it (trimmed, original case).
    public var customerEmail: String
    /// The product the entry is about: the rule's product, else the event's first product; nil when it has none.
    public var productID: String?
    /// The rule whose action the entry records; nil for an event that matched no rule or a closed waiting entry.
    public var rule: RuleSnapshot?
    /// Where the entry stands after this outcome.
    public var status: LogStatus
    /// A sentence a merchant understands.
    public var reason: String
    /// The attempt number this outcome is about (0 before any attempt).
    public var attemptNumber: Int
    /// The attempt itself, when one was made.
    public var attempt: Attempt?
    /// When the outcome was decided.
    public var at: Date
    /// The event that created the entry, sent with the first (pending) outcome so the log can replay the action;
    /// optional because workers do not repeat it and older senders never had it.
    public var event: TriggerEvent?

    /// Creates an outcome with every field given.
    public init(
        entryID: String, marketplaceID: String, eventID: String, trigger: TriggerType?, test: Bool,
        customerEmail: String, productID: String?, rule: RuleSnapshot?, status: LogStatus, reason: String,
        attemptNumber: Int, attempt: Attempt?, at: Date, event: TriggerEvent? = nil
    ) {
        self.entryID = entryID
        self.marketplaceID = marketplaceID
        self.eventID = eventID
        self.trigger = trigger
        self.test = test
        self.customerEmail = customerEmail
        self.productID = productID
        self.rule = rule
        self.status = status
        self.reason = reason
        self.attemptNumber = attemptNumber
        self.attempt = attempt
        self.at = at
        self.event = event
    }

    /// One try at performing the action.
    public struct Attempt: Codable, Sendable, Equatable {
        /// When the attempt started.
        public var at: Date
        /// How the attempt ended.
        public var outcome: AttemptOutcome
        /// A short summary of what was sent (method, URL, body size) — never a credential.
        public var request: String
        /// A short summary of what the app answered (status and the start of the body).
        public var response: String
        /// How long the attempt took, in milliseconds.
        public var durationMS: Int

        /// Creates an attempt with every field given.
        public init(at: Date, outcome: AttemptOutcome, request: String, response: String, durationMS: Int) {
            self.at = at
            self.outcome = outcome
            self.request = request
            self.response = response
            self.durationMS = durationMS
        }

        enum CodingKeys: String, CodingKey {
            case at, outcome, request, response
            case durationMS = "duration_ms"
        }
    }

    /// How one attempt ended.
    public enum AttemptOutcome: String, Codable, Sendable {
        /// The app accepted the action.
        case success
        /// The attempt failed in a way a later attempt may not (timeout, 5xx, 429, connection error): retried.
        case transientFailure = "transient_failure"
        /// The app will never accept the action as it is: not retried.
        case permanentFailure = "permanent_failure"
    }

    enum CodingKeys: String, CodingKey {
        case trigger, test, rule, status, reason, attempt, at, event
        case entryID = "entry_id"
        case marketplaceID = "marketplace_id"
        case eventID = "event_id"
        case customerEmail = "customer_email"
        case productID = "product_id"
        case attemptNumber = "attempt_number"
    }
}

extension Outcome {
    /// The outcome with every text the database could refuse made harmless (control characters replaced, lengths
    /// bounded), and the event left out when its JSON holds a NUL (which `jsonb` refuses).
    public func sanitizedForStorage() -> Outcome {
        var outcome = self
        outcome.entryID = entryID.sanitizedForLog(maximumLength: 300)
        outcome.marketplaceID = marketplaceID.sanitizedForLog(maximumLength: 300)
        outcome.eventID = eventID.sanitizedForLog(maximumLength: 300)
        outcome.customerEmail = customerEmail.sanitizedForLog(maximumLength: 300)
        outcome.productID = productID?.sanitizedForLog(maximumLength: 300)
        outcome.reason = reason.sanitizedForLog()
        if var attempt = outcome.attempt {
            attempt.request = attempt.request.sanitizedForLog()
            attempt.response = attempt.response.sanitizedForLog()
            outcome.attempt = attempt
        }
        if var rule = outcome.rule {
            rule.integrationLabel = rule.integrationLabel.sanitizedForLog(maximumLength: 300)
            rule.destination.name = rule.destination.name.sanitizedForLog(maximumLength: 1000)
            rule.destination.id = rule.destination.id?.sanitizedForLog(maximumLength: 1000)
            outcome.rule = rule
        }
        if let event, let json = try? MessageCoding.encode(event),
            String(decoding: json, as: UTF8.self).contains("\\u0000")
        {
            outcome.event = nil
        }
        return outcome
    }
}
