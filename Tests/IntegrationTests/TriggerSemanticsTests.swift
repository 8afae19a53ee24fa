import Foundation
import Testing

extension Integration {
/// Every row of the trigger table in `shared/SPEC.md` §2, through the real gateway, matcher, worker and log
/// service: which rules an event fires is read from its log entries and the receiver.
@Suite struct TriggerSemanticsTests {
    /// A marketplace with a webhook integration and one rule per given trigger (global unless a product is
    /// given); returns the key and the rule ids by trigger.
    private func marketplace(
        _ stack: TestStack, rules: [(trigger: String, product: String?)]
    ) async throws -> (key: String, rules: [String: String]) {
        let (_, key) = try await stack.createMarketplace()
        let integration = try await stack.createWebhookIntegration(key: key)
        var ids: [String: String] = [:]
        for (trigger, product) in rules {
            let id = try await stack.createRule(
                key: key, integrationID: integration.id, trigger: trigger, productID: product,
                path: "/ok/\(trigger)-\(UUID().uuidString)")
            ids[product.map { "\(trigger)/\($0)" } ?? trigger] = id
        }
        return (key, ids)
    }

    private func firedRules(_ entries: [[String: Any]]) -> Set<String> {
        Set(entries.compactMap { $0["status"] as? String == "success" ? $0["rule_id"] as? String : nil })
    }

    @Test("product.purchased fires for a primary product, an upsell, an order bump and a payment option")
    func productPurchasedForEveryPurchaseKind() async throws {
        let stack = try await TestStack.shared()
        let (key, rules) = try await marketplace(stack, rules: [("product.purchased", "prod_course")])
        for kind in ["primary", "upsell", "order_bump", "payment_option"] {
            let event = TestStack.event(type: "product.purchased", extra: ["purchase_kind": kind])
            try await stack.publishAccepted(key: key, event)
            let entries = try await stack.finalEntries(key: key, eventID: event["id"] as! String, count: 1)
            #expect(firedRules(entries) == [rules["product.purchased/prod_course"]!], "purchase kind \(kind)")
        }
    }

    @Test("upsell.purchased fires upsell.purchased and product.purchased rules; a plain purchase only the latter")
    func upsellAlsoFiresPurchaseRules() async throws {
        let stack = try await TestStack.shared()
        let (key, rules) = try await marketplace(
            stack, rules: [("upsell.purchased", nil), ("product.purchased", "prod_course")])
        let upsell = TestStack.event(type: "upsell.purchased", extra: ["purchase_kind": "upsell"])
        try await stack.publishAccepted(key: key, upsell)
        let upsellEntries = try await stack.finalEntries(key: key, eventID: upsell["id"] as! String, count: 2)
        #expect(firedRules(upsellEntries) == [rules["upsell.purchased"]!, rules["product.purchased/prod_course"]!])

        let purchase = TestStack.event(type: "product.purchased", extra: ["purchase_kind": "primary"])
        try await stack.publishAccepted(key: key, purchase)
        let purchaseEntries = try await stack.finalEntries(key: key, eventID: purchase["id"] as! String, count: 1)
        #expect(firedRules(purchaseEntries) == [rules["product.purchased/prod_course"]!])
    }

    @Test("order.completed fires product rules of its items, and once per order: a second event is skipped")
    func orderCompletedOncePerOrder() async throws {
        let stack = try await TestStack.shared()
        let (key, rules) = try await marketplace(
            stack, rules: [("order.completed", "prod_b"), ("order.completed", "prod_other"), ("order.completed", nil)])
        let orderID = "ord_\(UUID().uuidString)"
        let item: (String) -> [String: Any] = { ["product": ["id": $0, "name": $0], "purchase_kind": "primary"] }
        var first = TestStack.event(type: "order.completed")
        first.removeValue(forKey: "product")
        first["order"] = ["id": orderID, "total": "98.00", "currency": "USD", "items": [item("prod_a"), item("prod_b")]]
        try await stack.publishAccepted(key: key, first)
        let entries = try await stack.finalEntries(key: key, eventID: first["id"] as! String, count: 2)
        #expect(firedRules(entries) == [rules["order.completed/prod_b"]!, rules["order.completed"]!])

        // The same order again, under another event id: accepted, but nothing fires, and the log says why.
        var second = first
        second["id"] = "evt_\(UUID().uuidString)"
        try await stack.publishAccepted(key: key, second)
        let skipped = try await stack.finalEntries(key: key, eventID: second["id"] as! String, count: 2)
        #expect(skipped.allSatisfy { $0["status"] as? String == "skipped" })
        let reason = try #require(skipped.first?["reason"] as? String)
        #expect(reason.contains("order \(orderID) was already completed by event \(first["id"] as! String)"))
    }

    @Test("product.refunded and product.partially_refunded fire only their own rules")
    func refundsAreSeparate() async throws {
        let stack = try await TestStack.shared()
        let (key, rules) = try await marketplace(
            stack, rules: [("product.refunded", nil), ("product.partially_refunded", nil)])
        let full = TestStack.event(type: "product.refunded", extra: ["refund": ["amount": "49.00", "currency": "USD"]])
        let partial = TestStack.event(
            type: "product.partially_refunded", extra: ["refund": ["amount": "10.00", "currency": "USD"]])
        try await stack.publishAccepted(key: key, full)
        try await stack.publishAccepted(key: key, partial)
        let fullEntries = try await stack.finalEntries(key: key, eventID: full["id"] as! String, count: 1)
        let partialEntries = try await stack.finalEntries(key: key, eventID: partial["id"] as! String, count: 1)
        #expect(firedRules(fullEntries) == [rules["product.refunded"]!])
        #expect(firedRules(partialEntries) == [rules["product.partially_refunded"]!])
    }

    @Test("subscription.delinquent fires delinquent and canceled rules; subscription.canceled only canceled ones")
    func delinquentAlsoFiresCanceled() async throws {
        let stack = try await TestStack.shared()
        let (key, rules) = try await marketplace(
            stack, rules: [("subscription.delinquent", nil), ("subscription.canceled", nil)])
        let delinquent = TestStack.event(
            type: "subscription.delinquent",
            extra: ["subscription": ["id": "sub_5", "status": "delinquent", "failed_charges": 4]])
        let canceled = TestStack.event(
            type: "subscription.canceled", extra: ["subscription": ["id": "sub_6", "status": "canceled"]])
        try await stack.publishAccepted(key: key, delinquent)
        try await stack.publishAccepted(key: key, canceled)
        let delinquentEntries = try await stack.finalEntries(key: key, eventID: delinquent["id"] as! String, count: 2)
        let canceledEntries = try await stack.finalEntries(key: key, eventID: canceled["id"] as! String, count: 1)
        #expect(firedRules(delinquentEntries) == [rules["subscription.delinquent"]!, rules["subscription.canceled"]!])
        #expect(firedRules(canceledEntries) == [rules["subscription.canceled"]!])
    }

    static let otherSubscriptionTriggers = [
        "subscription.charged", "subscription.charge_failed", "subscription.recovered", "subscription.restarted",
    ]

    @Test(
        "each other subscription trigger fires only its own rules",
        arguments: Self.otherSubscriptionTriggers)
    func subscriptionTriggerFiresItsOwnRules(trigger: String) async throws {
        let stack = try await TestStack.shared()
        let (key, rules) = try await marketplace(stack, rules: Self.otherSubscriptionTriggers.map { ($0, nil) })
        let event = TestStack.event(type: trigger, extra: ["subscription": ["id": "sub_7", "status": "active"]])
        try await stack.publishAccepted(key: key, event)
        let entries = try await stack.finalEntries(key: key, eventID: event["id"] as! String, count: 1)
        #expect(firedRules(entries) == [rules[trigger]!])
    }

    @Test("a test event runs like any other and its entries say test: true")
    func testEventsAreMarked() async throws {
        let stack = try await TestStack.shared()
        let (key, rules) = try await marketplace(stack, rules: [("product.purchased", nil)])
        var sandbox = TestStack.event(type: "product.purchased", extra: ["purchase_kind": "primary"])
        sandbox["test"] = true
        let live = TestStack.event(type: "product.purchased", extra: ["purchase_kind": "primary"])
        try await stack.publishAccepted(key: key, sandbox)
        try await stack.publishAccepted(key: key, live)
        let sandboxEntries = try await stack.finalEntries(key: key, eventID: sandbox["id"] as! String, count: 1)
        let liveEntries = try await stack.finalEntries(key: key, eventID: live["id"] as! String, count: 1)
        #expect(firedRules(sandboxEntries) == [rules["product.purchased"]!])
        #expect(sandboxEntries.first?["test"] as? Bool == true)
        #expect(liveEntries.first?["test"] as? Bool == false)

        // An unmatched test event is marked too.
        var unmatched = TestStack.event(type: "product.refunded")
        unmatched["test"] = true
        try await stack.publishAccepted(key: key, unmatched)
        let skipped = try await stack.finalEntries(key: key, eventID: unmatched["id"] as! String, count: 1)
        #expect(skipped.first?["status"] as? String == "skipped")
        #expect(skipped.first?["test"] as? Bool == true)
    }
}
}
