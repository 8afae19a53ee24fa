import HTTPAPI
import Hummingbird
import Storage

/// `GET /v1/config-logs`: what happened to the marketplace's integrations, newest first, cursor-paginated.
struct ConfigLogRoutes: Sendable {
    let store: ConfigLogStore

    /// The routes, relative to `/v1/config-logs`; mounted behind `MarketplaceAuthentication`.
    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.get(use: list)
        return routes
    }

    @Sendable func list(_ request: Request, context: APIRequestContext) async throws -> Page<ConfigLogEntry> {
        let marketplaceID = try context.marketplaceID
        let (limit, before) = try Page<ConfigLogEntry>.parameters(request.uri.queryParameters)
        let (entries, next) = try await store.list(marketplaceID: marketplaceID, before: before, limit: limit)
        return Page(entries: entries, next: next)
    }
}
