import Foundation
import Messages
import Testing

@Suite struct TriggerEventValidationTests {
    func validate(_ json: String) -> EventValidationError? {
        do {
            _ = try TriggerEvent.validated(from: Array(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func acceptsTheDocumentedExample() throws {
        let json = """
            {"id":"evt_9f2c","type":"product.purchased","occurred_at":"2026-11-21T10:00:00Z","test":false,
             "customer":{"email":"jane@example.com","first_name":"Jane","last_name":"Doe","phone":"+15551234567"},
             "product":{"id":"prod_course","name":"Course","price":"49.00","currency":"USD"},
             "purchase_kind":"primary",
             "order":{"id":"ord_77","total":"98.00","currency":"USD","coupon":"BF50",
                      "items":[{"product":{"id":"prod_course","name":"Course","price":"49.00","currency":"USD"},"purchase_kind":"primary"}]},
             "subscription":{"id":"sub_5","status":"delinquent","failed_charges":4},
             "refund":{"amount":"10.00","currency":"USD"}}
            """
        let event = try TriggerEvent.validated(from: Array(json.utf8))
        #expect(event.type == .productPurchased)
        #expect(event.purchaseKind == .primary)
        #expect(event.occurredAt == RFC3339.date(from: "2026-11-21T10:00:00Z"))
        #expect(event.productIDs == ["prod_course"])
    }

    @Test func namesTheOffendingField() {
        #expect(
            validate(#"{"type":"product.purchased","customer":{"email":"a@b.co"},"product":{"id":"p"}}"#)?.field == "id"
        )
        #expect(
            validate(#"{"id":"e","type":"nope","customer":{"email":"a@b.co"},"product":{"id":"p"}}"#)?.field == "type")
        #expect(
            validate(#"{"id":"e","type":"product.purchased","customer":{},"product":{"id":"p"}}"#)?.field
                == "customer.email")
        #expect(
            validate(#"{"id":"e","type":"product.purchased","customer":{"email":"nope"},"product":{"id":"p"}}"#)?.field
                == "customer.email")
        #expect(validate(#"{"id":"e","type":"product.refunded","customer":{"email":"a@b.co"}}"#)?.field == "product")
        #expect(
            validate(
                #"{"id":"e","type":"order.completed","customer":{"email":"a@b.co"},"order":{"id":"o","items":[{"product":{}}]}}"#
            )?.field == "order.items[0].product.id")
        #expect(
            validate(
                #"{"id":"e","type":"product.purchased","customer":{"email":"a@b.co"},"product":{"id":"p","price":"1,5"}}"#
            )?.field == "product.price")
        #expect(
            validate(
                #"{"id":"e","type":"product.purchased","customer":{"email":"a@b.co"},"product":{"id":"p"},"occurred_at":"yesterday"}"#
            )?.field == "occurred_at")
        #expect(
            validate(
                #"{"id":"e","type":"product.purchased","customer":{"email":"a@b.co"},"product":{"id":"p"},"purchase_kind":"gift"}"#
            )?.field == "purchase_kind")
        #expect(
            validate(
                #"{"id":"e","type":"product.purchased","customer":{"email":"a@b.co"},"product":{"id":"p"},"test":"yes"}"#
            )?.field == "test")
        #expect(validate("not json")?.field == nil)
    }

    @Test func emailsAmountsAndCurrenciesFollowTheLooseRules() {
        func event(email: String = "a@b.co", price: String = "1.00", currency: String = "USD") -> String {
            #"{"id":" e ","type":"product.purchased","customer":{"email":"\#(email)"},"product":{"id":"p","price":"\#(price)","currency":"\#(currency)"}}"#
        }
        for email in ["a@b.co", " \\t jane.doe+x@mail.example.com\\t ", "ü@bü.de", "x@y.z"] {
            #expect(validate(event(email: email)) == nil, "\(email) should be accepted")
        }
        for email in [
            "", "   ", "@b.co", "a@b", "a@.co", "a@b.co.", "a@@b.co", "a@b@c.co", "a b@c.co", "a@b.co\\n",
            "a@\\rb.co", "a@b.c o", "a\u{00A0}b@c.co",
        ] {
            #expect(validate(event(email: email))?.field == "customer.email", "\(email) should be refused")
        }
        for price in ["0", "49", "49.00", "0.5"] {
            #expect(validate(event(price: price)) == nil, "\(price) should be accepted")
        }
        for price in ["", ".5", "5.", "1.2.3", "1,5", "-1", "4\u{0301}9", "١٢", " 1"] {
            #expect(validate(event(price: price))?.field == "product.price", "\(price) should be refused")
        }
        for currency in ["usd", "US", "USDD", "ÜSD", "U D"] {
            #expect(validate(event(currency: currency))?.field == "product.currency", "\(currency) should be refused")
        }
        #expect(
            validate(#"{"id":" \t ","type":"product.purchased","customer":{"email":"a@b.co"},"product":{"id":"p"}}"#)?
                .field == "id")
    }

    @Test func orderCompletedNeedsItemsButNoProduct() throws {
        let json =
            #"{"id":"e","type":"order.completed","customer":{"email":"a@b.co"},"order":{"id":"o","items":[{"product":{"id":"p1"}},{"product":{"id":"p2"}}]}}"#
        let event = try TriggerEvent.validated(from: Array(json.utf8))
        #expect(event.productIDs == ["p1", "p2"])
        #expect(validate(#"{"id":"e","type":"order.completed","customer":{"email":"a@b.co"}}"#)?.field == "order")
    }

    @Test func firedRuleTriggersFollowTheTriggerTable() {
        #expect(TriggerType.upsellPurchased.firedRuleTriggers == [.upsellPurchased, .productPurchased])
        #expect(
            TriggerType.subscriptionDelinquent.firedRuleTriggers == [.subscriptionDelinquent, .subscriptionCanceled])
        #expect(TriggerType.productPartiallyRefunded.firedRuleTriggers == [.productPartiallyRefunded])
        #expect(TriggerType.productRefunded.firedRuleTriggers == [.productRefunded])
    }

    @Test func contractsRoundTrip() throws {
        let event = TriggerEvent(
            id: "e", type: .productPurchased, customer: .init(email: "a@b.co"), product: .init(id: "p"))
        let message = TriggerMessage(
            marketplaceID: "mkt_1", receivedAt: Date(timeIntervalSince1970: 1_800_000_000.5), event: event)
        let decoded = try MessageCoding.decode(TriggerMessage.self, from: try MessageCoding.encode(message))
        #expect(decoded == message)
        let json = String(decoding: try MessageCoding.encode(message), as: UTF8.self)
        #expect(json.contains(#""marketplace_id":"mkt_1""#))
        #expect(json.contains(#""received_at":"2027-01-15T08:00:00.500Z""#))
    }
}
