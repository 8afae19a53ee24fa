import Foundation
import Testing

extension Integration {
    /// Every row of the trigger table in `shared/SPEC.md` §2, through the real gateway, matcher, worker and log
    /// service: which rules an event fires is read from its log entries and the receiver.
    @Suite struct TriggerSemanticsTests {
        /// A marketplace with a webhook integration and one rule per given trigger (global unless a product is
        /// given); returns the key and the rule ids by trigger.
        private func marketplace(
            _ stack: TestStack, rules: [(trigger: Gateway.TriggerType, product: String?)]
        ) async throws -> (key: String, rules: RuleIDs) {
            let (_, key) = try await stack.createMarketplace()
            let integration = try await stack.createWebhookIntegration(key: key)
            var ids: [String: String] = [:]
            for (trigger, product) in rules {
                let id = try await stack.createRule(
                    key: key, integrationID: integration.id, trigger: trigger, productID: product,
                    path: "/ok/\(trigger.rawValue)-\(UUID().uuidString)")
                ids[product.map { "\(trigger.rawValue)/\($0)" } ?? trigger.rawValue] = id
            }
            return (key, RuleIDs(byName: ids))
        }

        /// The ids of the rules created, by trigger (`order.completed`) or trigger and product (`order.completed/prod_b`).
        struct RuleIDs {
            let byName: [String: String]

            /// The ids of the named rules; throws for a name no rule was created under.
            func callAsFunction(_ names: String...) throws -> Set<String> {
                Set(
                    try names.map { name in
                        guard let id = byName[name] else { throw HarnessError("no rule was created for \(name)") }
                        return id
                    })
            }
        }

        private func firedRules(_ entries: [Logs.LogEntry]) -> Set<String> {
            Set(entries.compactMap { $0.status == .success ? $0.ruleId : nil })
        }

        @Test("product.purchased fires for a primary product, an upsell, an order bump and a payment option")
        func productPurchasedForEveryPurchaseKind() async throws {
            let stack = try await TestStack.shared()
            let (key, rules) = try await marketplace(stack, rules: [(.product_purchased, "prod_course")])
            for kind in [Gateway.PurchaseKind.primary, .upsell, .orderBump, .paymentOption] {
                let event = TestStack.event(type: .product_purchased, purchaseKind: kind)
                try await stack.publishAccepted(key: key, event)
                let entries = try await stack.finalEntries(key: key, eventID: event.id, count: 1)
                #expect(try firedRules(entries) == rules("product.purchased/prod_course"), "purchase kind \(kind)")
            }
        }

        @Test("upsell.purchased fires upsell.purchased and product.purchased rules; a plain purchase only the latter")
        func upsellAlsoFiresPurchaseRules() async throws {
            let stack = try await TestStack.shared()
            let (key, rules) = try await marketplace(
                stack, rules: [(.upsell_purchased, nil), (.product_purchased, "prod_course")])
            let upsell = TestStack.event(type: .upsell_purchased, purchaseKind: .upsell)
            try await stack.publishAccepted(key: key, upsell)
            let upsellEntries = try await stack.finalEntries(key: key, eventID: upsell.id, count: 2)
            #expect(try firedRules(upsellEntries) == rules("upsell.purchased", "product.purchased/prod_course"))

            let purchase = TestStack.event(type: .product_purchased, purchaseKind: .primary)
            try await stack.publishAccepted(key: key, purchase)
            let purchaseEntries = try await stack.finalEntries(key: key, eventID: purchase.id, count: 1)
            #expect(try firedRules(purchaseEntries) == rules("product.purchased/prod_course"))
        }

        @Test("order.completed fires product rules of its items, and once per order: a second event is skipped")
        func orderCompletedOncePerOrder() async throws {
            let stack = try await TestStack.shared()
            let (key, rules) = try await marketplace(
                stack, rules: [(.order_completed, "prod_b"), (.order_completed, "prod_other"), (.order_completed, nil)])
            let orderID = "ord_\(UUID().uuidString)"
            let item = { Gateway.OrderItem(product: .init(id: $0, name: $0), purchaseKind: .primary) }
            var first = TestStack.event(type: .order_completed)
            first.product = nil
            first.order = .init(id: orderID, total: "98.00", currency: "USD", items: [item("prod_a"), item("prod_b")])
            try await stack.publishAccepted(key: key, first)
            let entries = try await stack.finalEntries(key: key, eventID: first.id, count: 2)
            #expect(try firedRules(entries) == rules("order.completed/prod_b", "order.completed"))

            // The same order again, under another event id: accepted, but nothing fires, and the log says why.
            var second = first
            second.id = "evt_\(UUID().uuidString)"
            try await stack.publishAccepted(key: key, second)
            let skipped = try await stack.finalEntries(key: key, eventID: second.id, count: 2)
            #expect(skipped.allSatisfy { $0.status == .skipped })
            let reason = try #require(skipped.first?.reason)
            #expect(reason.contains("order \(orderID) was already completed by event \(first.id)"))
        }

        @Test("product.refunded and product.partially_refunded fire only their own rules")
        func refundsAreSeparate() async throws {
            let stack = try await TestStack.shared()
            let (key, rules) = try await marketplace(
                stack, rules: [(.product_refunded, nil), (.product_partiallyRefunded, nil)])
            var full = TestStack.event(type: .product_refunded)
            full.refund = .init(amount: "49.00", currency: "USD")
            var partial = TestStack.event(type: .product_partiallyRefunded)
            partial.refund = .init(amount: "10.00", currency: "USD")
            try await stack.publishAccepted(key: key, full)
            try await stack.publishAccepted(key: key, partial)
            let fullEntries = try await stack.finalEntries(key: key, eventID: full.id, count: 1)
            let partialEntries = try await stack.finalEntries(key: key, eventID: partial.id, count: 1)
            #expect(try firedRules(fullEntries) == rules("product.refunded"))
            #expect(try firedRules(partialEntries) == rules("product.partially_refunded"))
        }

        @Test("subscription.delinquent fires delinquent and canceled rules; subscription.canceled only canceled ones")
        func delinquentAlsoFiresCanceled() async throws {
            let stack = try await TestStack.shared()
            let (key, rules) = try await marketplace(
                stack, rules: [(.subscription_delinquent, nil), (.subscription_canceled, nil)])
            var delinquent = TestStack.event(type: .subscription_delinquent)
            delinquent.subscription = .init(id: "sub_5", status: "delinquent", failedCharges: 4)
            var canceled = TestStack.event(type: .subscription_canceled)
            canceled.subscription = .init(id: "sub_6", status: "canceled")
            try await stack.publishAccepted(key: key, delinquent)
            try await stack.publishAccepted(key: key, canceled)
            let delinquentEntries = try await stack.finalEntries(key: key, eventID: delinquent.id, count: 2)
            let canceledEntries = try await stack.finalEntries(key: key, eventID: canceled.id, count: 1)
            #expect(try firedRules(delinquentEntries) == rules("subscription.delinquent", "subscription.canceled"))
            #expect(try firedRules(canceledEntries) == rules("subscription.canceled"))
        }

        static let otherSubscriptionTriggers: [Gateway.TriggerType] = [
            .subscription_charged, .subscription_chargeFailed, .subscription_recovered, .subscription_restarted,
        ]

        @Test(
            "each other subscription trigger fires only its own rules",
            arguments: Self.otherSubscriptionTriggers)
        func subscriptionTriggerFiresItsOwnRules(trigger: Gateway.TriggerType) async throws {
            let stack = try await TestStack.shared()
            let (key, rules) = try await marketplace(stack, rules: Self.otherSubscriptionTriggers.map { ($0, nil) })
            var event = TestStack.event(type: trigger)
            event.subscription = .init(id: "sub_7", status: "active")
            try await stack.publishAccepted(key: key, event)
            let entries = try await stack.finalEntries(key: key, eventID: event.id, count: 1)
            #expect(try firedRules(entries) == rules(trigger.rawValue))
        }

        @Test("a test event runs like any other and its entries say test: true")
        func testEventsAreMarked() async throws {
            let stack = try await TestStack.shared()
            let (key, rules) = try await marketplace(stack, rules: [(.product_purchased, nil)])
            var sandbox = TestStack.event(type: .product_purchased, purchaseKind: .primary)
            sandbox.test = true
            let live = TestStack.event(type: .product_purchased, purchaseKind: .primary)
            try await stack.publishAccepted(key: key, sandbox)
            try await stack.publishAccepted(key: key, live)
            let sandboxEntries = try await stack.finalEntries(key: key, eventID: sandbox.id, count: 1)
            let liveEntries = try await stack.finalEntries(key: key, eventID: live.id, count: 1)
            #expect(try firedRules(sandboxEntries) == rules("product.purchased"))
            #expect(sandboxEntries.first?.test == true)
            #expect(liveEntries.first?.test == false)

            // An unmatched test event is marked too.
            var unmatched = TestStack.event(type: .product_refunded)
            unmatched.test = true
            try await stack.publishAccepted(key: key, unmatched)
            let skipped = try await stack.finalEntries(key: key, eventID: unmatched.id, count: 1)
            #expect(skipped.first?.status == .skipped)
            #expect(skipped.first?.test == true)
        }
    }
}
