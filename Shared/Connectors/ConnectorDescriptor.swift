import Messages

/// What a connector offers, as `GET /v1/connectors` serves it so a UI can build its drop-downs: how it
/// authenticates, which credential fields it needs, and which actions it performs on which kind of destination.
public struct ConnectorDescriptor: Codable, Sendable, Equatable {
    /// How an integration of this connector is connected.
    public enum Auth: String, Codable, Sendable, CaseIterable {
        case oauth2, credentials, apiKey = "api_key", secret
    }

    /// A credential the merchant provides.
    public struct CredentialField: Codable, Sendable, Equatable {
        /// The field's key in the credentials (`api_key`).
        public var name: String
        /// The field's label in a form (`API key`).
        public var displayName: String
        /// Whether connecting without it is refused.
        public var required: Bool
        /// Whether it is a secret: stored sealed, never shown again, masked in a form.
        public var secret: Bool

        /// A credential field.
        public init(name: String, displayName: String, required: Bool, secret: Bool) {
            self.name = name
            self.displayName = displayName
            self.required = required
            self.secret = secret
        }

        enum CodingKeys: String, CodingKey {
            case name, required, secret
            case displayName = "display_name"
        }
    }

    /// An action and the destination kind it takes. When `parentKind` is set, a destination also needs the id of
    /// the entry of that kind it belongs to (`destination.parent_id`): a Mailchimp tag or group lives in one audience.
    public struct Action: Codable, Sendable, Equatable {
        /// The action's name in a rule (`add_to_audience`).
        public var name: String
        /// The action's label in a form.
        public var displayName: String
        /// The kind of catalog entry the action's destination is.
        public var destinationKind: DestinationKind
        /// The kind of entry the destination belongs to, when it needs one (`destination.parent_id`).
        public var parentKind: DestinationKind?

        /// An action on a destination of `destinationKind`, inside one of `parentKind` when set.
        public init(
            name: String, displayName: String, destinationKind: DestinationKind, parentKind: DestinationKind? = nil
        ) {
            self.name = name
            self.displayName = displayName
            self.destinationKind = destinationKind
            self.parentKind = parentKind
        }

        enum CodingKeys: String, CodingKey {
            case name
            case displayName = "display_name"
            case destinationKind = "destination_kind"
            case parentKind = "parent_kind"
        }
    }

    /// The connector's name in the API (`mailchimp`).
    public var name: String
    /// The connector's name as a merchant reads it (`Mailchimp`).
    public var displayName: String
    /// How an integration of the connector is connected.
    public var auth: Auth
    /// What the merchant provides to connect (empty for OAuth).
    public var credentialFields: [CredentialField]
    /// The actions a rule can ask of the connector.
    public var actions: [Action]

    /// A connector's description.
    public init(name: String, displayName: String, auth: Auth, credentialFields: [CredentialField], actions: [Action]) {
        self.name = name
        self.displayName = displayName
        self.auth = auth
        self.credentialFields = credentialFields
        self.actions = actions
    }

    /// The action with this name, or nil when the connector has none.
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
            CredentialField(
                name: "secret", displayName: "Signing secret (whsec_…; generated when left empty)", required: false,
                secret: true)
        ],
        actions: [Action(name: "post", displayName: "POST the event to a URL", destinationKind: .url)])

    /// Mailchimp audiences, tags and groups. Connected with OAuth 2 (no credentials given) or with an API key.
    public static let mailchimp = ConnectorDescriptor(
        name: "mailchimp", displayName: "Mailchimp", auth: .oauth2,
        credentialFields: [
            CredentialField(
                name: "api_key", displayName: "API key (leave out to connect with OAuth)", required: false, secret: true
            )
        ],
        actions: [
            Action(name: "add_to_list", displayName: "Add to audience", destinationKind: .list),
            Action(name: "remove_from_list", displayName: "Unsubscribe from audience", destinationKind: .list),
            Action(name: "add_tag", displayName: "Add tag", destinationKind: .tag, parentKind: .list),
            Action(name: "remove_tag", displayName: "Remove tag", destinationKind: .tag, parentKind: .list),
            Action(name: "add_to_group", displayName: "Add to group", destinationKind: .group, parentKind: .list),
            Action(
                name: "remove_from_group", displayName: "Remove from group", destinationKind: .group, parentKind: .list),
        ])

    /// iContact lists, connected with the engine's app id, the merchant's username and an API app password.
    public static let icontact = ConnectorDescriptor(
        name: "icontact", displayName: "iContact", auth: .credentials,
        credentialFields: [
            CredentialField(name: "app_id", displayName: "App ID", required: true, secret: false),
            CredentialField(name: "username", displayName: "iContact username", required: true, secret: false),
            CredentialField(name: "app_password", displayName: "API app password", required: true, secret: true),
        ],
        actions: [
            Action(name: "add_to_list", displayName: "Add subscriber to list", destinationKind: .list),
            Action(name: "remove_from_list", displayName: "Unsubscribe from list", destinationKind: .list),
        ])

    /// Every connector this build knows.
    public static let all: [ConnectorDescriptor] = [.mailchimp, .icontact, .webhook]

    /// The connector with this name, or nil when Switchyard has none.
    public static func named(_ name: String) -> ConnectorDescriptor? { all.first { $0.name == name } }
}
