/// The rule every text value from outside obeys, for events and management requests alike: valid UTF-8 and no
/// control characters (U+0000–U+001F, U+007F). PostgreSQL refuses NUL in `text` and `jsonb`, so one such value
/// would fail the batched write it shares with healthy ones; the edge refuses it with `400` naming the field.
///
/// A Swift `String` is always valid Unicode, so invalid UTF-8 can only be caught where bytes become text: call
/// `checkUTF8(_:field:)` on raw bytes (a body, a percent-decoded query parameter), and `check(_:field:)` on every
/// string a request carries (labels, names, product ids, destinations, query parameters).
public enum TextField {
    /// Refuses a value that contains a control character, naming `field` in the error.
    ///
    /// The field name is built only when the value is refused, so checking is one pass over the bytes.
    public static func check(_ value: String, field: @autoclosure () -> String) throws(EventValidationError) {
        if let control = firstControlCharacter(value) {
            throw EventValidationError(field: field(), message: controlMessage(control))
        }
    }

    /// Refuses an optional value like `check(_:field:)`; an absent value passes.
    public static func check(_ value: String?, field: @autoclosure () -> String) throws(EventValidationError) {
        guard let value else { return }
        try check(value, field: field())
    }

    /// Refuses bytes that are not valid UTF-8 (overlong forms, surrogates and truncated sequences included).
    /// With a nil `field` the bytes are the request body.
    public static func checkUTF8(_ bytes: some Sequence<UInt8>, field: String?) throws(EventValidationError) {
        let offset =
            bytes.withContiguousStorageIfAvailable { firstInvalidUTF8Offset(UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { firstInvalidUTF8Offset($0) }
        guard let offset else { return }
        let position = "invalid byte at offset \(offset)"
        if let field { throw EventValidationError(field: field, message: "must be valid UTF-8 (\(position))") }
        throw EventValidationError(field: nil, message: "the body is not valid UTF-8 (\(position))")
    }

    /// Whether a value contains a control character (U+0000–U+001F, U+007F).
    public static func containsControlCharacter(_ value: String) -> Bool {
        firstControlCharacter(value) != nil
    }

    /// The first control character of a value, as its byte. In UTF-8 a byte below 0x80 is always a whole ASCII
    /// character, so looking at bytes is exact.
    static func firstControlCharacter(_ value: String) -> UInt8? {
        let isControl = { (byte: UInt8) in byte < 0x20 || byte == 0x7F }
        if let found = value.utf8.withContiguousStorageIfAvailable({ $0.first(where: isControl) }) {
            return found
        }
        return value.utf8.first(where: isControl)
    }

    /// The message for a refused control character, naming it by code point (never echoing the value).
    static func controlMessage(_ control: UInt8) -> String {
        let hex = String(control, radix: 16, uppercase: true)
        return "must not contain control characters (found U+\(String(repeating: "0", count: 4 - hex.count))\(hex))"
    }

    /// The offset of the first byte that does not start a valid UTF-8 sequence, or nil when all are valid.
    /// ASCII, what stores nearly always send, is skipped eight bytes at a time; each other character is left to
    /// the standard library's UTF-8 parser, and the skipping resumes after it.
    static func firstInvalidUTF8Offset(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var offset = 0
        while true {
            while offset + 8 <= bytes.count,
                bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
            {
                offset += 8
            }
            while offset < bytes.count, bytes[offset] < 0x80 { offset += 1 }
            guard offset < bytes.count else { return nil }
            var parser = Unicode.UTF8.ForwardParser()
            var iterator = bytes[offset..<min(offset + 4, bytes.count)].makeIterator()
            guard case .valid(let scalar) = parser.parseScalar(from: &iterator) else { return offset }
            offset += scalar.count
        }
    }
}
