import Foundation

/// A parsed JSON document as the API answered it, read loosely for tables and printed back as is for --json.
struct JSONValue: @unchecked Sendable {
    /// What JSONSerialization made of it: dictionaries, arrays, strings, numbers, booleans, NSNull.
    let raw: Any

    init(_ raw: Any) { self.raw = raw }

    init(parsing bytes: [UInt8]) throws {
        raw = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    subscript(key: String) -> JSONValue? {
        guard let object = raw as? [String: Any], let value = object[key], !(value is NSNull) else { return nil }
        return JSONValue(value)
    }

    var array: [JSONValue] { (raw as? [Any] ?? []).map(JSONValue.init) }

    /// The members of an object (empty for anything else).
    var object: [String: JSONValue] { (raw as? [String: Any] ?? [:]).mapValues(JSONValue.init) }

    /// A short display form: strings as they are, numbers and booleans spelled out, objects as compact JSON.
    var text: String {
        switch raw {
        case let string as String: return string
        case let number as NSNumber:
            // Booleans arrive as NSNumber (or bridge to one) with the char type code.
            let type = String(cString: number.objCType)
            if type == "c" || type == "B" { return number.boolValue ? "true" : "false" }
            return number.stringValue
        case is NSNull: return ""
        default:
            let data = try? JSONSerialization.data(
                withJSONObject: raw, options: [.sortedKeys, .withoutEscapingSlashes])
            return data.map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
    }

    func data() throws -> Data {
        try JSONSerialization.data(withJSONObject: raw, options: [.sortedKeys, .fragmentsAllowed])
    }

    var prettyPrinted: String {
        let data = try? JSONSerialization.data(
            withJSONObject: raw, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
