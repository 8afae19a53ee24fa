import Foundation
import Messages
import Testing

/// The public AMQP ingestion contract (issue 13): which marketplace a broker user publishes for, and the checks a
/// published message passes before its event is accepted.
@Suite struct IngestContractTests {
    static let event = Array(
        #"{"id":"evt_1","type":"product.purchased","customer":{"email":"jane@x.io"},"product":{"id":"p"}}"#.utf8)

    @Test("a publisher user is named after its marketplace, optionally with a name of its own after a dot")
    func marketplaceOfUser() {
        #expect(IngestContract.marketplaceID(forUser: "mkt_abc") == "mkt_abc")
        #expect(IngestContract.marketplaceID(forUser: "mkt_abc.orders") == "mkt_abc")
        #expect(IngestContract.marketplaceID(forUser: "mkt_abc.orders.eu") == "mkt_abc")
        for user in ["guest", "switchyard", "mkt_", "", ".mkt_abc", "xmkt_abc", String(repeating: "m", count: 70)] {
            #expect(IngestContract.marketplaceID(forUser: user) == nil, "\(user)")
        }
    }

    @Test("a valid message gives its event; a missing or different message id of the right event is fine")
    func validMessage() throws {
        let event = try IngestContract.validated(type: IngestContract.type, messageID: "evt_1", body: Self.event)
        #expect(event.id == "evt_1")
        #expect(try IngestContract.validated(type: IngestContract.type, messageID: nil, body: Self.event).id == "evt_1")
    }

    @Test("each refusal names its cause in words a store developer can act on")
    func refusals() {
        func refusal(type: String? = IngestContract.type, messageID: String? = nil, body: [UInt8]) -> String {
            do {
                _ = try IngestContract.validated(type: type, messageID: messageID, body: body)
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(refusal(type: nil, body: Self.event).contains("no type property"))
        #expect(refusal(type: "switchyard.trigger.v1", body: Self.event).contains("is not switchyard.event.v1"))
        #expect(refusal(messageID: "evt_2", body: Self.event).contains("is not the event's id"))
        #expect(refusal(body: Array(repeating: 0x20, count: IngestContract.maximumBodySize + 1)).contains("64 KiB"))
        let noEmail = Array(#"{"id":"evt_1","type":"product.purchased","customer":{},"product":{"id":"p"}}"#.utf8)
        #expect(refusal(body: noEmail) == "customer.email is required")
        #expect(refusal(body: Array("{".utf8)) == "the body is not valid JSON")
    }

    @Test("what a refused body still tells: id, trigger, email and test flag when present and well-typed")
    func salvage() {
        let full = IngestContract.Salvage(
            body: Array(#"{"id":"e","type":"product.refunded","customer":{"email":"a@b.c"},"test":true}"#.utf8))
        #expect(full == .init(eventID: "e", trigger: .productRefunded, customerEmail: "a@b.c", test: true))
        let odd = IngestContract.Salvage(body: Array(#"{"id":7,"type":"nope","customer":"x"}"#.utf8))
        #expect(odd == .init(eventID: nil, trigger: nil, customerEmail: nil, test: false))
        #expect(IngestContract.Salvage(body: Array("garbage".utf8)).eventID == nil)
    }
}
