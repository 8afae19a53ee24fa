import Foundation

/// One action to perform for one (event, rule) pair, sent by the matcher to the rule's connector queue.
public struct ActionCommand: Contract, Equatable {
    /// The contract name of an action command.
    public static let contract = "switchyard.action.v1"

    /// Stable for the life of the action, across retries and redeliveries: the idempotency key of the
    /// worker and the id receivers see (`webhook-id`). It is also the id of the action's log entry.
    public var commandID: String
    /// The marketplace the event and the rule belong to.
    public var marketplaceID: String
    /// The trigger event that fired the rule.
    public var event: TriggerEvent
    /// The rule as it was when the event matched it.
    public var rule: RuleSnapshot
    /// 1 for the first try; a retry carries the number of the attempt it is.
    public var attempt: Int
    /// When the action was first created; retries stop once the maximum age is passed.
    public var createdAt: Date
    /// Set when a merchant replayed the action from the log: the number of that replay (1, 2, …). A replay is a
    /// new performance of a command that already completed, so workers key completion by id and replay.
    public var replay: Int?
    /// The attempt number this performance started at: 1, or the first attempt of a replay. The retry schedule
    /// counts from it, so a replay gets the whole schedule again.
    public var firstAttempt: Int?

    /// Creates a command with every field given; `attempt` defaults to the first try, outside any replay.
    public init(
        commandID: String, marketplaceID: String, event: TriggerEvent, rule: RuleSnapshot, attempt: Int = 1,
        createdAt: Date, replay: Int? = nil, firstAttempt: Int? = nil
    ) {
        self.commandID = commandID
        self.marketplaceID = marketplaceID
        self.event = event
        self.rule = rule
        self.attempt = attempt
        self.createdAt = createdAt
        self.replay = replay
        self.firstAttempt = firstAttempt
    }

    /// This attempt's place in the retry schedule: 1 for the first try of the action or of a replay.
    public var scheduledAttempt: Int { attempt - (firstAttempt ?? 1) + 1 }

    /// The key under which the worker records that this performance of the action completed. The first
    /// performance keeps the bare command id (as before replays existed); replay n adds `/replay/n`, so a
    /// replay is not mistaken for a redelivery of the completed original, while a redelivery of the replay
    /// itself still is recognised.
    public var completionKey: String {
        replay.map { "\(commandID)/replay/\($0)" } ?? commandID
    }

    enum CodingKeys: String, CodingKey {
        case event, rule, attempt, replay
        case commandID = "command_id"
        case marketplaceID = "marketplace_id"
        case createdAt = "created_at"
        case firstAttempt = "first_attempt"
    }
}
