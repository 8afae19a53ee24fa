import HTTPAPI
import Hummingbird

/// One page of a newest-first listing (`/v1/logs`, `/v1/config-logs`) and the paging parameters both accept.
struct Page<Entry: Encodable & Sendable>: ResponseEncodable, Sendable {
    var entries: [Entry]
    var nextCursor: String?

    init(entries: [Entry], next: Int64?) {
        self.entries = entries
        self.nextCursor = next.map(Cursor.encode)
    }

    enum CodingKeys: String, CodingKey {
        case entries
        case nextCursor = "next_cursor"
    }

    /// `limit` (1 to 500, default 50) and `cursor` (a position this API returned), or a 400 naming the parameter.
    static func parameters(_ parameters: Hummingbird.Parameters) throws -> (limit: Int, before: Int64?) {
        let limit = try parameters.limit()
        var before: Int64?
        if let text = parameters.get("cursor"), !text.isEmpty {
            guard let position = Cursor.decode(text) else {
                throw APIError.badRequest("is not a cursor this API returned", field: "cursor")
            }
            before = position
        }
        return (limit, before)
    }
}
