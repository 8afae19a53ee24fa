import Messages
import Testing

/// Strict about what matters, liberal about what does not (issue 9, item 10): a store sends one shape for many
/// events, so a valid field a trigger does not use is kept, never a reason to lose the event.
@Suite struct PurchaseKindLeniencyTests {
    static func event(type: String, purchaseKind: String) -> [UInt8] {
        Array(
            (#"{"id":"evt_1","type":"\#(type)","customer":{"email":"a@b.co"},"product":{"id":"p"},"#
                + #""purchase_kind":"\#(purchaseKind)","refund":{"amount":"10.00","currency":"USD"}}"#).utf8)
    }

    @Test("purchase_kind on a refund (the refunded item was an order bump) is accepted and kept as information")
    func purchaseKindOnRefund() throws {
        let event = try TriggerEvent.validated(from: Self.event(type: "product.refunded", purchaseKind: "order_bump"))
        #expect(event.type == .productRefunded)
        #expect(event.purchaseKind == .orderBump)
    }

    @Test(
        "purchase_kind is accepted on every trigger",
        arguments: TriggerType.allCases.filter { $0 != .orderCompleted })
    func purchaseKindOnEveryTrigger(type: TriggerType) {
        #expect(throws: Never.self) {
            try TriggerEvent.validated(from: Self.event(type: type.rawValue, purchaseKind: "upsell"))
        }
    }

    @Test("an invalid purchase_kind is still refused, on a purchase and on a refund alike")
    func bogusPurchaseKind() {
        for type in ["product.purchased", "product.refunded", "subscription.canceled"] {
            let error = #expect(throws: EventValidationError.self) {
                try TriggerEvent.validated(from: Self.event(type: type, purchaseKind: "bogus"))
            }
            #expect(error?.field == "purchase_kind", "\(type)")
            #expect(error?.message.hasPrefix("must be one of primary") == true, "\(type)")
        }
        let item =
            #"{"id":"e","type":"product.refunded","customer":{"email":"a@b.co"},"product":{"id":"p"},"#
            + #""order":{"id":"o","items":[{"product":{"id":"p"},"purchase_kind":"bogus"}]}}"#
        let error = #expect(throws: EventValidationError.self) { try TriggerEvent.validated(from: Array(item.utf8)) }
        #expect(error?.field == "order.items[0].purchase_kind")
    }
}
