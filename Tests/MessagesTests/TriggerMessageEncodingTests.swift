import Foundation
import Messages
import Testing

@Suite struct TriggerMessageEncodingTests {
    /// 2026-11-21T10:00:01.250Z.
    let receivedAt = Date(timeIntervalSince1970: 1_795_255_201.25)

    /// What the matcher reads from a body the gateway built around the store's bytes.
    func decoded(_ eventJSON: [UInt8]) throws -> (message: TriggerMessage, expected: TriggerMessage) {
        let event = try TriggerEvent.validated(from: eventJSON)
        let body = try TriggerMessage.encoded(
            marketplaceID: "mkt_\"quoted\"", receivedAt: receivedAt, event: event, eventJSON: eventJSON)
        let message = try MessageCoding.decode(TriggerMessage.self, from: body)
        return (message, TriggerMessage(marketplaceID: "mkt_\"quoted\"", receivedAt: receivedAt, event: event))
    }

    @Test func forwardedBytesDecodeLikeTheEncodedMessage() throws {
        let json = """
             {"id":"evt_1", "type":"product.purchased","occurred_at":"2026-11-21T12:00:00+02:00",
              "customer":{"email":" jane@example.com","first_name":"Jäne \\u00e9\\"x\\""},
              "product":{"id":"prod_1","price":"49.00","currency":"USD"},"unknown_field":[1,{"a":null}]}\t
            """
        let (message, expected) = try decoded(Array(json.utf8))
        #expect(message == expected)
        #expect(message.event.customer.firstName == "Jäne é\"x\"")
        #expect(message.event.occurredAt == RFC3339.date(from: "2026-11-21T10:00:00Z"))
        #expect(!message.isDue && message.waitingRuleIDs == nil)
    }

    @Test func bytesThatCannotBeEmbeddedAreEncodedInstead() throws {
        let json = #"{"id":"evt_2","type":"product.purchased","customer":{"email":"a@b.co"},"product":{"id":"p"}}"#
        // UTF-16 (which the decoder accepts, with or without a byte order mark) and a UTF-8 byte order mark.
        let utf16 = Array(json.data(using: .utf16LittleEndian)!)
        let withMark = [0xEF, 0xBB, 0xBF] + Array(json.utf8)
        for bytes in [utf16, withMark] {
            let (message, expected) = try decoded(bytes)
            #expect(message == expected)
        }
    }

    @Test("an escaped NUL in a field the event does not have is not forwarded: the event is encoded instead")
    func escapedNULInAnUnknownFieldIsNotForwarded() throws {
        let json =
            Array(#"{"id":"evt_3","type":"product.purchased","customer":{"email":"a@b.co"},"#.utf8)
            + Array(#""product":{"id":"p"},"note":"x\u0000y"}"#.utf8)
        let event = try TriggerEvent.validated(from: json)
        let body = try TriggerMessage.encoded(
            marketplaceID: "mkt_1", receivedAt: receivedAt, event: event, eventJSON: json)
        #expect(!String(decoding: body, as: UTF8.self).contains("note"))
        #expect(try MessageCoding.decode(TriggerMessage.self, from: body).event == event)
        // The text `\u0000` (an escaped backslash, then `u0000`) is no NUL: those bytes are forwarded.
        let text =
            Array(#"{"id":"evt_4","type":"product.purchased","customer":{"email":"a@b.co"},"#.utf8)
            + Array(#""product":{"id":"p"},"note":"x\\u0000y"}"#.utf8)
        let forwarded = try TriggerMessage.encoded(
            marketplaceID: "mkt_1", receivedAt: receivedAt, event: try TriggerEvent.validated(from: text),
            eventJSON: text)
        #expect(String(decoding: forwarded, as: UTF8.self).contains(#""note":"x\\u0000y""#))
    }
}
