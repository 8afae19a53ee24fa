/// The rule an action command was made from, as it was when the event matched: later edits of the rule do not
/// change a command already on its way.
public struct RuleSnapshot: Codable, Sendable, Equatable {
    public var id: String
    public var trigger: TriggerType
    public var productID: String?
    public var integrationID: String
    public var integrationLabel: String
    public var connector: String
    public var action: String
    public var destination: Destination

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
