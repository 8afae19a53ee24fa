import Hummingbird

/// Authenticates every request of the routes it is added to by its API key (`APIKeyAuthenticator`, with its cache
/// and lookup limit) and puts the marketplace on the context, so no handler looks the key up itself. A missing,
/// malformed or unknown key is answered `401` before the handler runs (`429` while unknown keys come too fast).
public struct MarketplaceAuthentication: RouterMiddleware {
    /// The context this middleware fills in.
    public typealias Context = APIRequestContext

    let authenticator: APIKeyAuthenticator

    /// A middleware that looks keys up with `authenticator`.
    public init(authenticator: APIKeyAuthenticator) {
        self.authenticator = authenticator
    }

    /// Sets `context.authenticatedMarketplaceID`, then passes the request on.
    public func handle(
        _ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.authenticatedMarketplaceID = try await authenticator.marketplaceID(
            forBearerToken: request.headers.bearerToken)
        return try await next(request, context)
    }
}
