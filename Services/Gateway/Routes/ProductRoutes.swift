import Foundation
import HTTPAPI
import Hummingbird
import Storage

/// `/v1/products`: the marketplace's products as seen in events and named by rules, for the console's product
/// list.
struct ProductRoutes: Sendable {
    let products: ProductStore

    /// The routes, relative to `/v1/products`; mounted behind `MarketplaceAuthentication`.
    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.get(use: list)
        return routes
    }

    @Sendable func list(_ request: Request, context: APIRequestContext) async throws -> [String: [ProductView]] {
        ["products": try await products.list(marketplaceID: try context.marketplaceID).map(ProductView.init)]
    }
}

/// A product as the API shows it; `name` and `last_seen_at` are `null` for a product only rules name.
struct ProductView: Encodable {
    var id: String
    var name: String?
    var lastSeenAt: Date?
    var ruleCount: Int

    init(_ product: ProductSummary) {
        id = product.id
        name = product.name
        lastSeenAt = product.lastSeenAt
        ruleCount = product.ruleCount
    }

    enum CodingKeys: String, CodingKey {
        case id, name
        case lastSeenAt = "last_seen_at"
        case ruleCount = "rule_count"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(lastSeenAt, forKey: .lastSeenAt)
        try container.encode(ruleCount, forKey: .ruleCount)
    }
}
