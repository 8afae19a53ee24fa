import Connectors
import HTTPAPI

extension ConnectorDescriptor {
    /// Whether connecting and refreshing need the connector's worker. A webhook is connected here (its secret is
    /// generated locally) and has no catalog; every app connector is verified and refreshed by its worker.
    var connectsThroughWorker: Bool { auth != .secret }

    /// The credentials a merchant gave, checked against the descriptor: only known fields, every required one
    /// present. Empty optional fields are left out (an empty webhook secret means "generate one", an empty
    /// Mailchimp API key means "connect with OAuth").
    func checkedCredentials(_ given: [String: String]) throws -> [String: String] {
        let known = credentialFields.map(\.name)
        for name in given.keys.sorted() where !known.contains(name) {
            let expected = known.isEmpty ? "it takes none" : "expected \(known.joined(separator: ", "))"
            throw APIError.badRequest(
                "is not a credential of \(displayName); \(expected)", field: "credentials.\(name)")
        }
        var checked: [String: String] = [:]
        for field in credentialFields {
            let value = given[field.name] ?? ""
            if value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                guard !field.required else {
                    throw APIError.badRequest(
                        "is required to connect \(displayName) (\(field.displayName))",
                        field: "credentials.\(field.name)")
                }
            } else {
                checked[field.name] = value
            }
        }
        return checked
    }
}
