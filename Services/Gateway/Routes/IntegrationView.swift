import Foundation
import HTTPAPI
import Hummingbird
import Storage

/// An integration as the API shows it: never its credentials (a webhook's signing secret only once, when it is
/// made).
struct IntegrationView: ResponseEncodable {
    var id, connector, label, status: String
    var account: String?
    var refreshedAt: Date?
    var createdAt: Date
    var signingSecret: String?

    init(_ integration: Integration) {
        id = integration.id
        connector = integration.connector
        label = integration.label
        status = integration.status
        account = integration.account
        refreshedAt = integration.refreshedAt
        createdAt = integration.createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, connector, label, status, account
        case refreshedAt = "refreshed_at"
        case createdAt = "created_at"
        case signingSecret = "signing_secret"
    }
}

/// Standard Webhooks signing secrets: `whsec_` + base64 of 24–64 random bytes.
enum WebhookSecret {
    static func resolve(_ given: String?) throws -> String {
        guard let given, !given.isEmpty else {
            return "whsec_" + Data(Identifier.randomBytes(32)).base64EncodedString()
        }
        guard given.hasPrefix("whsec_"), let bytes = Data(base64Encoded: String(given.dropFirst(6))),
            (24...64).contains(bytes.count)
        else {
            throw APIError.badRequest(
                "must be whsec_ followed by base64 of 24 to 64 bytes", field: "credentials.secret")
        }
        return given
    }
}
