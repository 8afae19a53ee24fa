import Foundation
import Messages
import Testing

/// Emails are trimmed wherever an event is decoded and compared case-insensitively (issue 9, item 8): a purchase
/// as `"jane@x.com "` must cancel the waiting prospect of `jane@x.com`, and vendors get the trimmed address.
@Suite struct EmailTrimmingTests {
    static func event(email: String) -> String {
        #"{"id":"evt_1","type":"product.purchased","customer":{"email":"\#(email)"},"product":{"id":"p"}}"#
    }

    @Test("the validated event carries the address without the blanks around it, in its original case")
    func validatedEventIsTrimmed() throws {
        for padded in [#"Jane@X.com "#, #" \t Jane@X.com\t "#, #"\u00a0Jane@X.com\u3000"#, #"\tJane@X.com"#] {
            let event = try TriggerEvent.validated(from: Array(Self.event(email: padded).utf8))
            #expect(event.customer.email == "Jane@X.com", "\(padded)")
            #expect(event.customer.normalizedEmail == "jane@x.com", "\(padded)")
        }
    }

    @Test("every decoder of the event trims, also of the store's bytes the gateway forwards to the matcher")
    func forwardedBytesAreTrimmedOnDecode() throws {
        let json = Array(Self.event(email: #" jane@example.com\t"#).utf8)
        let event = try TriggerEvent.validated(from: json)
        let body = try TriggerMessage.encoded(
            marketplaceID: "mkt_1", receivedAt: Date(timeIntervalSince1970: 1_800_000_000), event: event,
            eventJSON: json)
        // The body embeds the store's bytes as they are: the padding is still there ...
        #expect(String(decoding: body, as: UTF8.self).contains(#"" jane@example.com\t""#))
        // ... and every service that decodes it sees the trimmed address.
        let message = try MessageCoding.decode(TriggerMessage.self, from: body)
        #expect(message.event.customer.email == "jane@example.com")
        #expect(try MessageCoding.decode(TriggerEvent.self, from: json).customer.email == "jane@example.com")
    }

    @Test("an address built in code is trimmed too, and re-encoded trimmed")
    func initializerTrims() throws {
        let customer = TriggerEvent.Customer(email: "  Ann@Example.COM\t", firstName: " Ann ")
        #expect(customer.email == "Ann@Example.COM")
        #expect(customer.firstName == " Ann ")  // only the email is normalised
        #expect(customer.normalizedEmail == "ann@example.com")
        let encoded = String(decoding: try MessageCoding.encode(customer), as: UTF8.self)
        #expect(encoded.contains(#""email":"Ann@Example.COM""#))
    }

    @Test("line breaks around an address are not trimmed but refused, like blanks inside it")
    func lineBreaksAreRefused() {
        for email in [#"jane@x.com\n"#, #"\r\njane@x.com"#, #"ja ne@x.com"#, #"   "#] {
            #expect(throws: EventValidationError.self, "\(email)") {
                try TriggerEvent.validated(from: Array(Self.event(email: email).utf8))
            }
        }
    }

    @Test("normalisation for comparisons: trimmed and lowercased, and already-clean addresses are unchanged")
    func normalized() {
        #expect(EmailAddress.normalized(" Jane@X.com ") == "jane@x.com")
        #expect(EmailAddress.normalized("JÄNE@Bü.de") == "jäne@bü.de")
        #expect(EmailAddress.normalized("jane@x.com") == "jane@x.com")
        #expect(EmailAddress.trimmed(" \t ") == "")
        #expect(EmailAddress.trimmed("") == "")
        #expect(EmailAddress.trimmed("ü@ü.de ") == "ü@ü.de")
        #expect(EmailAddress.trimmed("a@b.co\n") == "a@b.co\n")
    }
}
