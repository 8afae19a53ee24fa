import Hummingbird
import ServiceRuntime
import Storage

/// `GET /v1/config-logs`: what happened to the marketplace's integrations, newest first, cursor-paginated.
struct ConfigLogRoutes: Sendable {
    let store: ConfigLogStore
    let authenticator: APIKeyAuthenticator

    /// One page of the configuration log.
    struct Page: Encodable {
        var entries: [ConfigLogEntry]
        var nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case entries
            case nextCursor = "next_cursor"
        }
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v1/config-logs") { request, _ -> Response in
            let marketplaceID = try await authenticator.marketplaceID(for: request)
            let parameters = request.uri.queryParameters
            var limit = 50
            if let text = parameters.get("limit"), !text.isEmpty {
                guard let value = Int(text), (1...500).contains(value) else {
                    throw APIError.badRequest("must be a whole number from 1 to 500", field: "limit")
                }
                limit = value
            }
            var before: Int64?
            if let text = parameters.get("cursor"), !text.isEmpty {
                guard let position = Cursor.decode(text) else {
                    throw APIError.badRequest("is not a cursor this API returned", field: "cursor")
                }
                before = position
            }
            let (entries, next) = try await store.list(marketplaceID: marketplaceID, before: before, limit: limit)
            return try JSONResponse.make(.ok, Page(entries: entries, nextCursor: next.map(Cursor.encode)))
        }
    }
}
