/// The rule an action command was made from, as it was when the event matched: later edits of the rule do not
/// change a command already on its way.
public struct RuleSnapshot: Codable, Sendable, Equatable {
    /// The rule's id (`rule_…`).
    public var id: String
    /// The trigger the rule fires on, which may differ from the event's type (an upsell fires purchase rules).
    public var trigger: TriggerType
    /// The product of a product rule; nil for a global rule.
    public var productID: String?
    /// The integration the action is performed with (`int_…`).
    public var integrationID: String
    /// The integration's internal label at match time ("Melissa's Mailchimp").
    public var integrationLabel: String
    /// The integration's connector (`mailchimp`), which names the queue the command goes to.
    public var connector: String
    /// The connector action to perform (`add_tag`).
    public var action: String
    /// Where the action goes in the app.
    public var destination: Destination

    /// Creates a snapshot with every field given.
    public init(
        id: String, trigger: TriggerType, productID: String?, integrationID: String, integrationLabel: String,
        connector: String, action: String, destination: Destination
    ) {
        self.id = id
        self.trigger = trigger
        self.productID = productID
        self.integrationID = integrationID
        self.integrationLabel = integrationLabel
        self.connector = connector
        self.action = action
        self.destination = destination
    }

    enum CodingKeys: String, CodingKey {
        case id, trigger, connector, action, destination
        case productID = "product_id"
        case integrationID = "integration_id"
        case integrationLabel = "integration_label"
    }
}
