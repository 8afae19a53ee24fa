import Storage

/// The body of `PATCH /v1/rules/{id}`: any subset of a rule's fields. The result is validated exactly like a new
/// rule, so a change can never produce a rule that creation would refuse.
struct PatchRule: Decodable {
    var scope: String?
    var productID: String?
    var trigger: String?
    var integrationID: String?
    var action: String?
    var destination: CreateRule.DestinationBody?
    var enabled: Bool?

    enum CodingKeys: String, CodingKey {
        case scope, trigger, action, destination, enabled
        case productID = "product_id"
        case integrationID = "integration_id"
    }

    /// The rule as it would be after this change. Turning a product rule global drops its product unless the
    /// body names one (which validation then refuses, naming `product_id`).
    func applied(to rule: Rule) -> CreateRule {
        let newScope = scope ?? rule.scope.rawValue
        let keptProduct = newScope == Rule.Scope.product.rawValue ? rule.productID : nil
        let current = CreateRule.DestinationBody(
            kind: rule.destination.kind.rawValue, id: rule.destination.id, name: rule.destination.name,
            parentID: rule.destination.parentID)
        return CreateRule(
            scope: newScope, productID: productID ?? keptProduct, trigger: trigger ?? rule.trigger.rawValue,
            integrationID: integrationID ?? rule.integrationID, action: action ?? rule.action,
            destination: destination ?? current, enabled: enabled ?? rule.enabled)
    }
}
