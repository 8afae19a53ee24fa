import Hummingbird

/// The request context of the public APIs (gateway, log service): the API's JSON coding for bodies and answers, and
/// the marketplace that `MarketplaceAuthentication` found for the request's API key.
///
/// It is not hummingbird-auth's `AuthRequestContext`: that one's `requireIdentity()` answers a plain `HTTPError`,
/// while an unauthenticated request here must get our `401` body with `WWW-Authenticate: Bearer` (API.md).
public struct APIRequestContext: RequestContext {
    /// Hummingbird's per-request storage (logger, path parameters).
    public var coreContext: CoreRequestContextStorage
    /// The caller's marketplace id, set by `MarketplaceAuthentication`; nil on routes that take no API key.
    public var authenticatedMarketplaceID: String?

    /// A context for a request that has not been authenticated yet.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        authenticatedMarketplaceID = nil
    }

    /// Bodies are read with the API's JSON coding and text checks.
    public var requestDecoder: APIRequestDecoder { APIRequestDecoder() }
    /// Answers are written with the API's JSON coding.
    public var responseEncoder: APIResponseEncoder { APIResponseEncoder() }

    /// The caller's marketplace id. Throws `401` on a route mounted without `MarketplaceAuthentication`, so that
    /// such a mistake refuses requests instead of serving them unscoped.
    public var marketplaceID: String {
        get throws {
            guard let authenticatedMarketplaceID else { throw APIError.unauthorized }
            return authenticatedMarketplaceID
        }
    }
}
