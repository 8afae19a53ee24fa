import Foundation
import Messages
import Testing

/// The pure parts of the trigger table (`shared/SPEC.md` §2) and the compatibility of the contract fields added
/// for it.
@Suite struct TriggerSemanticsContractTests {
    @Test("only upsell.purchased and subscription.delinquent fire a second kind of rule")
    func firedRuleTriggers() {
        for type in TriggerType.allCases where type != .upsellPurchased && type != .subscriptionDelinquent {
            #expect(type.firedRuleTriggers == [type])
        }
    }

    @Test("only prospect.created is delayed; purchases and completed orders record purchases")
    func delayedAndPurchases() {
        #expect(TriggerType.allCases.filter(\.isDelayed) == [.prospectCreated])
        let purchases = Set(TriggerType.allCases.filter(\.recordsPurchase))
        #expect(purchases == [.productPurchased, .upsellPurchased, .orderCompleted])
    }

    @Test("a trigger message without `delayed` (as the gateway writes it) decodes as not due, and round-trips")
    func delayedIsOptional() throws {
        let event = TriggerEvent(id: "evt_1", type: .prospectCreated, customer: .init(email: "jane@example.com"))
        let plain = TriggerMessage(
            marketplaceID: "mkt_1", receivedAt: Date(timeIntervalSince1970: 1_800_000_000), event: event)
        let encoded = try MessageCoding.encode(plain)
        #expect(!String(decoding: encoded, as: UTF8.self).contains("delayed"))
        #expect(try MessageCoding.decode(TriggerMessage.self, from: encoded).isDue == false)
        var due = plain
        due.delayed = true
        #expect(try MessageCoding.decode(TriggerMessage.self, from: try MessageCoding.encode(due)).isDue)
    }

    @Test("destination.from_catalog is written under its snake_case name and may be absent")
    func fromCatalogCoding() throws {
        let typed = Destination(kind: .tag, name: "VIP", fromCatalog: false)
        #expect(String(decoding: try MessageCoding.encode(typed), as: UTF8.self).contains("\"from_catalog\":false"))
        let stored = Array(#"{"kind":"url","name":"https://x.test"}"#.utf8)
        let old = try MessageCoding.decode(Destination.self, from: stored)
        #expect(old.fromCatalog == nil)
    }
}
