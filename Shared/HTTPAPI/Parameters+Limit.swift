import Hummingbird

extension Parameters {
    /// The `limit` query parameter: a whole number from 1 to `maximum`, `defaultValue` when absent, else a 400
    /// naming it. Listings refuse a bad limit rather than guess what the caller meant.
    public func limit(default defaultValue: Int = 50, maximum: Int = 500) throws -> Int {
        guard let text = get("limit"), !text.isEmpty else { return defaultValue }
        guard let value = Int(text), (1...maximum).contains(value) else {
            throw APIError.badRequest("must be a whole number from 1 to \(maximum)", field: "limit")
        }
        return value
    }
}
