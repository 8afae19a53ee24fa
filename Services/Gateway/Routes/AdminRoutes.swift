import Foundation
import HTTPAPI
import Hummingbird
import Storage

/// `POST /admin/v1/marketplaces`: the operator creates a marketplace and receives its first API key, once.
/// Mounted behind `AdminAuthorization`.
struct AdminRoutes: Sendable {
    let marketplaces: MarketplaceStore

    struct CreateMarketplace: Decodable {
        var name: String
    }

    struct Created: ResponseEncodable {
        var id: String
        var name: String
        var apiKey: String
        var createdAt: Date

        enum CodingKeys: String, CodingKey {
            case id, name
            case apiKey = "api_key"
            case createdAt = "created_at"
        }
    }

    /// The routes, relative to `/admin/v1/marketplaces`.
    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.post(use: create)
        return routes
    }

    @Sendable func create(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<Created> {
        let body = try await request.decode(as: CreateMarketplace.self, context: context)
        let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else {
            throw APIError.badRequest("must be 1 to 200 characters", field: "name")
        }
        let (marketplace, key) = try await marketplaces.create(name: name)
        return EditedResponse(
            status: .created,
            response: Created(
                id: marketplace.id, name: marketplace.name, apiKey: key.plaintext, createdAt: marketplace.createdAt))
    }
}
