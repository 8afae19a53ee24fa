import Crypto
import Foundation
import Hummingbird
import ServiceRuntime
import Storage

/// `POST /admin/v1/marketplaces`: the operator creates a marketplace and receives its first API key, once.
struct AdminRoutes: Sendable {
    let adminToken: String?
    let marketplaces: MarketplaceStore

    struct CreateMarketplace: Decodable {
        var name: String
    }

    struct Created: Encodable {
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

    func register(on router: Router<BasicRequestContext>) {
        router.post("/admin/v1/marketplaces") { request, _ -> Response in
            try authorize(request)
            let body = try await JSONResponse.decode(CreateMarketplace.self, from: request)
            let name = body.name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...200).contains(name.count) else {
                throw APIError.badRequest("must be 1 to 200 characters", field: "name")
            }
            let (marketplace, key) = try await marketplaces.create(name: name)
            return try JSONResponse.make(
                .created, Created(id: marketplace.id, name: marketplace.name, apiKey: key.plaintext, createdAt: marketplace.createdAt))
        }
    }

    /// Compares digests so the comparison takes the same time whatever the guess.
    private func authorize(_ request: Request) throws {
        guard let adminToken else {
            throw APIError(.forbidden, code: "admin_disabled", message: "the admin API is disabled: set SWITCHYARD_ADMIN_TOKEN")
        }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw APIError.unauthorized
        }
        let given = SHA256.hash(data: Array(header.dropFirst(7).utf8))
        let expected = SHA256.hash(data: Array(adminToken.utf8))
        guard given == expected else { throw APIError.unauthorized }
    }
}
