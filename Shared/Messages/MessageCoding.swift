import Foundation

/// The one JSON configuration every contract uses on the broker and the API: RFC 3339 UTC times,
/// fractional seconds kept when present.
public enum MessageCoding {
    /// A fresh encoder per call site would be wasteful; JSONEncoder is thread-safe for encoding.
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RFC3339.string(from: date))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The decoder every contract is read with; it accepts RFC 3339 times with or without fractional seconds.
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = RFC3339.date(from: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 time")
            }
            return date
        }
        return decoder
    }()

    /// Encodes a value to bytes for the broker or an HTTP body.
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        Array(try encoder.encode(value))
    }

    /// Decodes a value from broker or HTTP bytes.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Sequence<UInt8>) throws -> T {
        try decoder.decode(type, from: Data(bytes))
    }
}

/// RFC 3339 times as the API writes them (UTC, `Z`, milliseconds) and reads them (with or without fractions).
public enum RFC3339 {
    /// The RFC 3339 text of a time: UTC, with a `Z` and milliseconds (`2026-11-21T10:00:00.000Z`).
    public static func string(from date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }

    /// The time an RFC 3339 text names, with or without fractional seconds; nil when it is not one.
    public static func date(from text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
