import Messages

/// What a connector offers, as `GET /v1/connectors` serves it so a UI can build its drop-downs: how it
/// authenticates, which credential fields it needs, and which actions it performs on which kind of destination.
public struct ConnectorDescriptor: Codable, Sendable, Equatable {
    /// How an integration of this connector is connected.
    public enum Auth: String, Codable, Sendable {
        case oauth2, credentials, apiKey = "api_key", secret
    }

    /// A credential the merchant provides.
    public struct CredentialField: Codable, Sendable, Equatable {
        public var name: String
        public var displayName: String
        public var required: Bool
        public var secret: Bool

        enum CodingKeys: String, CodingKey {
            case name, required, secret
            case displayName = "display_name"
        }
    }

    /// An action and the destination kind it takes.
    public struct Action: Codable, Sendable, Equatable {
        public var name: String
        public var displayName: String
        public var destinationKind: DestinationKind

        enum CodingKeys: String, CodingKey {
            case name
            case displayName = "display_name"
            case destinationKind = "destination_kind"
        }
    }

    public var name: String
    public var displayName: String
    public var auth: Auth
    public var credentialFields: [CredentialField]
    public var actions: [Action]

    public func action(named name: String) -> Action? { actions.first { $0.name == name } }

    enum CodingKeys: String, CodingKey {
        case name, auth, actions
        case displayName = "display_name"
        case credentialFields = "credential_fields"
    }
}

extension ConnectorDescriptor {
    /// POSTs the event, signed per Standard Webhooks, to a URL.
    public static let webhook = ConnectorDescriptor(
        name: "webhook", displayName: "Webhook", auth: .secret,
        credentialFields: [
            CredentialField(name: "secret", displayName: "Signing secret (whsec_…; generated when left empty)", required: false, secret: true)
        ],
        actions: [Action(name: "post", displayName: "POST the event to a URL", destinationKind: .url)])

    /// Every connector this build knows.
    public static let all: [ConnectorDescriptor] = [.webhook]

    public static func named(_ name: String) -> ConnectorDescriptor? { all.first { $0.name == name } }
}
