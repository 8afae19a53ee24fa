import Hummingbird
import ServiceRuntime
import Storage

/// `GET /v1/config-logs`: what happened to the marketplace's integrations, newest first, cursor-paginated.
struct ConfigLogRoutes: Sendable {
    let store: ConfigLogStore
    let authenticator: APIKeyAuthenticator

    func register(on router: Router<BasicRequestContext>) {
        router.get("/v1/config-logs") { request, _ -> Response in
            let marketplaceID = try await authenticator.marketplaceID(for: request)
            let (limit, before) = try Page<ConfigLogEntry>.parameters(request.uri.queryParameters)
            let (entries, next) = try await store.list(marketplaceID: marketplaceID, before: before, limit: limit)
            return try JSONResponse.make(.ok, Page(entries: entries, next: next))
        }
    }
}
