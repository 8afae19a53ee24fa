import Connectors
import HTTPAPI
import Hummingbird

/// `GET /v1/connectors`: the descriptors a UI builds its drop-downs from. Public: they describe the product, so they
/// are mounted outside `MarketplaceAuthentication`.
struct ConnectorRoutes: Sendable {
    /// The routes, relative to `/v1/connectors`.
    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.get(use: list)
        return routes
    }

    @Sendable func list(_ request: Request, context: APIRequestContext) -> [String: [ConnectorDescriptor]] {
        ["connectors": ConnectorDescriptor.all]
    }
}
