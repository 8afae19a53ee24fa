import Messages
import Testing

/// The text check the HTTP edge uses for management requests (labels, names, product ids, destinations, query
/// parameters).
@Suite struct TextFieldTests {
    @Test("ordinary text passes: empty, ASCII, any Unicode outside the control characters")
    func acceptsText() throws {
        let values = ["", "VIP customers", "Kurs für Anfänger", "名前", "😀", "https://x.test/?a=1", "\u{A0}"]
        for value in values {
            try TextField.check(value, field: "label")
        }
        try TextField.check(nil as String?, field: "label")
    }

    @Test("each control character is refused naming the field and the character")
    func refusesControlCharacters() {
        for scalar in Array(0x00...0x1F) + [0x7F] {
            let character = String(Character(Unicode.Scalar(UInt8(scalar))))
            let hex = String(scalar, radix: 16, uppercase: true)
            let code = String(repeating: "0", count: 4 - hex.count) + hex
            let expected = EventValidationError(
                field: "destination.name", message: "must not contain control characters (found U+\(code))")
            #expect(throws: expected) { try TextField.check("VIP" + character + "s", field: "destination.name") }
            #expect(throws: expected) { try TextField.check("VIP" + character, field: "destination.name") }
            #expect(TextField.containsControlCharacter(character + "x"))
        }
        #expect(throws: EventValidationError.self) { try TextField.check("a\r\nb" as String?, field: "label") }
        #expect(!TextField.containsControlCharacter("plain"))
    }

    @Test("the field name is only built when a value is refused")
    func fieldNameIsLazy() throws {
        var built = 0
        func name() -> String {
            built += 1
            return "rules[0].product_id"
        }
        try TextField.check("prod_1", field: name())
        #expect(built == 0)
        #expect(
            throws: EventValidationError(
                field: "rules[0].product_id", message: "must not contain control characters (found U+0000)")
        ) { try TextField.check("prod\u{0}", field: name()) }
        #expect(built == 1)
    }

    @Test("UTF-8 bytes: valid text passes, every kind of invalid sequence is refused at its offset")
    func utf8() throws {
        try TextField.checkUTF8(Array("plain ASCII long enough for the word loop".utf8), field: "label")
        try TextField.checkUTF8(Array("Jäne 名 😀 \u{10FFFF}".utf8), field: nil)
        try TextField.checkUTF8([UInt8](), field: nil)
        let prefix = Array("twelve bytes".utf8)
        for invalid: [UInt8] in [
            [0xFF], [0xFE], [0x80], [0xC0, 0xAF], [0xC2], [0xE0, 0x9F, 0xBF], [0xED, 0xBF, 0xBF],
            [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
        ] {
            let inField = EventValidationError(
                field: "prefix", message: "must be valid UTF-8 (invalid byte at offset 12)")
            #expect(throws: inField) { try TextField.checkUTF8(prefix + invalid + Array("tail".utf8), field: "prefix") }
            // After non-ASCII text and a run of ASCII: the offset counts bytes, not characters.
            let afterText = Array("é名".utf8) + Array("ABCDEFGH".utf8) + invalid
            let inBody = EventValidationError(
                field: nil, message: "the body is not valid UTF-8 (invalid byte at offset 13)")
            #expect(throws: inBody) { try TextField.checkUTF8(afterText, field: nil) }
        }
    }
}
