import Connectors
import Hummingbird
import ServiceRuntime

/// `GET /v1/connectors`: the descriptors a UI builds its drop-downs from. Public: they describe the product.
struct ConnectorRoutes: Sendable {
    func register(on router: Router<BasicRequestContext>) {
        router.get("/v1/connectors") { _, _ -> Response in
            try JSONResponse.make(.ok, ["connectors": ConnectorDescriptor.all])
        }
    }
}
