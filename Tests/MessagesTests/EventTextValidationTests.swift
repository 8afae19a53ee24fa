import Foundation
import Messages
import Testing

/// Control characters and invalid UTF-8 anywhere in an event are refused with the field named (issue 9, item 1):
/// PostgreSQL refuses NUL, and one such event used to fail every batched write it shared.
@Suite struct EventTextValidationTests {
    /// Every string field of an event, with a valid value as it appears inside a JSON string.
    static let fields: KeyValuePairs<String, String> = [
        "id": "evt_1",
        "customer.email": "jane@example.com",
        "customer.first_name": "Jane",
        "customer.last_name": "Doe",
        "customer.phone": "+15551234567",
        "product.id": "prod_course",
        "product.name": "Course",
        "product.price": "49.00",
        "product.currency": "USD",
        "order.id": "ord_77",
        "order.coupon": "BF50",
        "order.total": "98.00",
        "order.currency": "USD",
        "order.items[0].product.id": "prod_course",
        "order.items[0].product.name": "Course",
        "order.items[0].product.price": "49.00",
        "order.items[0].product.currency": "USD",
        "order.items[1].product.id": "prod_bump",
        "order.items[1].product.name": "Bump",
        "order.items[1].product.price": "49.00",
        "order.items[1].product.currency": "USD",
        "subscription.id": "sub_5",
        "subscription.status": "delinquent",
        "refund.amount": "10.00",
        "refund.currency": "USD",
    ]

    /// The documented example with every string field, one of them replaced by `value` (JSON string content).
    static func event(type: String = "product.purchased", _ field: String? = nil, _ value: String = "") -> String {
        func v(_ name: String) -> String {
            name == field ? value : fields.first { $0.key == name }?.value ?? ""
        }
        func product(_ prefix: String) -> String {
            #"{"id":"\#(v("\(prefix).id"))","name":"\#(v("\(prefix).name"))","#
                + #""price":"\#(v("\(prefix).price"))","currency":"\#(v("\(prefix).currency"))"}"#
        }
        return #"{"id":"\#(v("id"))","type":"\#(type)","occurred_at":"2026-11-21T10:00:00Z","test":false,"#
            + #""customer":{"email":"\#(v("customer.email"))","first_name":"\#(v("customer.first_name"))","#
            + #""last_name":"\#(v("customer.last_name"))","phone":"\#(v("customer.phone"))"},"#
            + #""product":\#(product("product")),"purchase_kind":"primary","#
            + #""order":{"id":"\#(v("order.id"))","total":"\#(v("order.total"))","#
            + #""currency":"\#(v("order.currency"))","coupon":"\#(v("order.coupon"))","items":["#
            + #"{"product":\#(product("order.items[0].product")),"purchase_kind":"primary"},"#
            + #"{"product":\#(product("order.items[1].product")),"purchase_kind":"order_bump"}]},"#
            + #""subscription":{"id":"\#(v("subscription.id"))","status":"\#(v("subscription.status"))","#
            + #""failed_charges":4},"#
            + #""refund":{"amount":"\#(v("refund.amount"))","currency":"\#(v("refund.currency"))"}}"#
    }

    func refusal(_ json: String) -> EventValidationError? {
        refusal(Array(json.utf8))
    }

    func refusal(_ bytes: [UInt8]) -> EventValidationError? {
        do {
            _ = try TriggerEvent.validated(from: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test("the event with every string field is accepted, for a purchase and a completed order")
    func everyFieldValid() {
        #expect(refusal(Self.event()) == nil)
        #expect(refusal(Self.event(type: "order.completed")) == nil)
    }

    @Test(
        "a control character in any string field is refused naming that field",
        arguments: [#"\u0000"#, #"\u001f"#, #"\u001F"#, #"\u007f"#, #"\n"#, #"\t"#, "\u{7F}"])
    func controlCharacterInEachField(control: String) {
        for (field, valid) in Self.fields {
            let inside = String(valid.prefix(1)) + control + String(valid.dropFirst())
            // Tabs around an email are trimmed, not refused (`EmailTrimmingTests`); inside it they are refused.
            let trimmed = field == "customer.email" && control == #"\t"#
            let values = trimmed ? [inside] : [control + valid, inside, valid + control]
            for value in values {
                let error = refusal(Self.event(field, value))
                #expect(error?.field == field, "\(field) = \(value.debugDescription)")
                #expect(error?.message.hasPrefix("must not contain control characters") == true, "\(field)")
            }
        }
    }

    @Test("the message names the character by code point and never echoes the value")
    func messageNamesTheCharacter() {
        let error = refusal(Self.event("customer.email", #"a\u0000@x.io"#))
        #expect(
            error
                == EventValidationError(
                    field: "customer.email", message: "must not contain control characters (found U+0000)"))
        #expect(refusal(Self.event("id", #"secret\u001f"#))?.message.contains("secret") == false)
        #expect(refusal(Self.event("product.name", "Course\u{7F}"))?.message.hasSuffix("(found U+007F)") == true)
    }

    @Test("every control character from U+0000 to U+001F and U+007F is refused, and only those")
    func allControlCharacters() {
        for scalar in Array(0x00...0x1F) + [0x7F] {
            let escape =
                #"\u"# + String(repeating: "0", count: 4 - String(scalar, radix: 16).count)
                + String(scalar, radix: 16)
            #expect(refusal(Self.event("customer.first_name", "J" + escape))?.field == "customer.first_name")
        }
        for printable in [" ", "~", #"\u0080"#, #"\u00a0"#, "é", "名", "😀", #"\ud83d\ude00"#, #"\\u0000"#] {
            #expect(refusal(Self.event("customer.first_name", "J" + printable)) == nil, "\(printable)")
        }
    }

    @Test("a NUL in the fields of items and of a refund is refused whatever the trigger")
    func controlCharactersOnOtherTriggers() {
        for type in ["product.refunded", "subscription.canceled", "prospect.created"] {
            #expect(
                refusal(Self.event(type: type, "order.items[1].product.name", #"B\u0000"#))?.field
                    == "order.items[1].product.name")
            #expect(refusal(Self.event(type: type, "refund.currency", #"US\u0000"#))?.field == "refund.currency")
        }
    }

    @Test("invalid UTF-8 anywhere in the body is refused, also in a field the decoder skips")
    func invalidUTF8() throws {
        let invalid: [[UInt8]] = [
            [0xFF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [0xF5, 0x80, 0x80, 0x80], [0x80], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
        ]
        let (head, tail) = (Array(#"{"note":"x"#.utf8), Array(#"","#.utf8) + Array(Self.event().utf8.dropFirst()))
        for bytes in invalid {
            // In a field the event does not have (skipped by the decoder, forwarded by the gateway as it is).
            let unknown = refusal(head + bytes + tail)
            #expect(unknown?.field == nil, "\(bytes)")
            #expect(unknown?.message == "the body is not valid UTF-8 (invalid byte at offset 10)", "\(bytes)")
            // In a field of the event, after non-ASCII text.
            let named = Array(Self.event("customer.first_name", "Jäne").utf8)
            let at = try #require(named.firstRange(of: Array("äne".utf8))?.upperBound)
            let broken = Array(named[..<at]) + bytes + Array(named[at...])
            #expect(refusal(broken)?.message.hasPrefix("the body is not valid UTF-8") == true, "\(bytes)")
            // Truncated at the very end of the body.
            #expect(refusal(Array(Self.event().utf8) + bytes)?.message.hasPrefix("the body is not valid UTF-8") == true)
        }
    }

    @Test("valid UTF-8 in every length, and UTF-16 text with non-ASCII characters, is still accepted")
    func validText() throws {
        let json = Self.event("customer.first_name", "Jäne 名 😀 \u{10FFFF}")
        #expect(refusal(json) == nil)
        let utf16 = try #require(json.data(using: .utf16LittleEndian))
        #expect(refusal(Array(utf16)) == nil)
        let utf16BigEndian = try #require(json.data(using: .utf16))  // with a byte order mark
        #expect(refusal(Array(utf16BigEndian)) == nil)
    }
}
