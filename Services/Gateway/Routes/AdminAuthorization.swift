import Crypto
import HTTPAPI
import Hummingbird

/// Lets through only requests bearing the operator's admin token (`SWITCHYARD_ADMIN_TOKEN`): `403 admin_disabled`
/// when none is set, `401` for a missing or wrong token, before any handler runs.
struct AdminAuthorization: RouterMiddleware {
    typealias Context = APIRequestContext

    let adminToken: String?

    func handle(
        _ request: Request, context: APIRequestContext, next: (Request, APIRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let adminToken else {
            throw APIError(
                .forbidden, code: "admin_disabled", message: "the admin API is disabled: set SWITCHYARD_ADMIN_TOKEN")
        }
        guard let token = request.headers.bearerToken else { throw APIError.unauthorized }
        // Compares digests so the comparison takes the same time whatever the guess.
        let given = SHA256.hash(data: Array(token.utf8))
        let expected = SHA256.hash(data: Array(adminToken.utf8))
        guard given == expected else { throw APIError.unauthorized }
        return try await next(request, context)
    }
}
