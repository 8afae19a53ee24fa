import Hummingbird
import ServiceLifecycle

/// What an HTTP process is made of before it becomes an `Application`: its routes and the services that run beside
/// the server, in start order (they shut down in reverse). Build functions return it so tests can look at the
/// routes too.
public struct ProcessParts {
    /// The process's HTTP routes, middleware included.
    public let router: Router<APIRequestContext>
    /// The services beside the HTTP server, in start order.
    public let services: [any Service]

    /// Parts with these routes and services.
    public init(router: Router<APIRequestContext>, services: [any Service]) {
        self.router = router
        self.services = services
    }
}
