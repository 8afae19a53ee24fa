import ArgumentParser
import GatewayAPI

/// `switchyard integrations list|connect|show|rename|reconnect|refresh|catalog|delete`.
struct IntegrationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "integrations", abstract: "Connected apps.",
        subcommands: [
            List.self, Connect.self, Show.self, Rename.self, Reconnect.self, Refresh.self, Catalog.self, Delete.self,
        ])

    typealias Integration = Components.Schemas.Integration

    static func show(_ integration: Integration) -> String {
        Table.record([
            "id": integration.id, "connector": integration.connector, "label": integration.label,
            "status": integration.status.rawValue, "account": integration.account,
            "refreshed_at": integration.refreshedAt?.rfc3339, "created_at": integration.createdAt.rfc3339,
        ])
    }

    /// What connect and reconnect print: the integration, with a webhook's new signing secret (shown once).
    static func showConnected(_ integration: Integration) -> String {
        Table.record([
            "id": integration.id, "connector": integration.connector, "label": integration.label,
            "status": integration.status.rawValue, "account": integration.account,
            "signing_secret": integration.signingSecret,
        ])
    }

    /// `--credential name=value` flags, shared by connect and reconnect.
    struct CredentialOptions: ParsableArguments {
        @Option(help: "A credential as name=value, e.g. api_key=…; repeat for several.") var credential: [String] = []

        func credentials() throws -> Components.Schemas.Credentials {
            var credentials: [String: String] = [:]
            for pair in credential {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw CLIError.usage("--credential must be name=value, not \"\(pair)\"")
                }
                credentials[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            return .init(additionalProperties: credentials)
        }
    }

    /// Lists the marketplace's integrations.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List integrations.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let answer = try await options.gateway().listIntegrations().ok.body.json
            try options.output(answer) {
                Table.render(
                    $0.integrations,
                    columns: [
                        ("ID", { $0.id }), ("CONNECTOR", { $0.connector }), ("LABEL", { $0.label }),
                        ("STATUS", { $0.status.rawValue }), ("CREATED", { $0.createdAt.rfc3339 }),
                    ])
            }
        }
    }

    /// Connects an app: with credentials (verified by the app first), or — Mailchimp without credentials — by
    /// printing the URL where the merchant signs in (OAuth).
    struct Connect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Connect an app (with --credential flags, or by signing in at the printed URL).",
            aliases: ["create"])
        @OptionGroup var options: GlobalOptions
        @Option(help: "The connector: mailchimp, icontact or webhook.") var connector: String
        @Option(help: "A name unique in the marketplace.") var label: String
        @OptionGroup var credentials: CredentialOptions

        func run() async throws {
            let body = Components.Schemas.ConnectIntegration(
                connector: connector, label: label, credentials: try credentials.credentials())
            switch try await options.gateway().connectIntegration(body: .json(body)) {
            case .created(let created):
                try options.output(try created.body.json, render: IntegrationsCommand.showConnected)
            case .ok(let started):
                let start = try started.body.json
                try options.output(start) { start in
                    """
                    Open this URL in a browser and allow access; the integration "\(label)" is created when the app \
                    sends you back (until \(start.expiresAt.rfc3339)):
                    \(start.authorizeUrl)
                    """
                }
            case let other:
                throw CLIError(message: "unexpected answer: \(other)", exitCode: CLIError.unavailableExitCode)
            }
        }
    }

    /// Shows one integration.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one integration.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The integration id.") var id: String

        func run() async throws {
            let answer = try await options.gateway().getIntegration(path: .init(id: id)).ok.body.json
            try options.output(answer, render: IntegrationsCommand.show)
        }
    }

    /// Gives an integration a new label.
    struct Rename: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rename an integration.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The integration id.") var id: String
        @Option(help: "The new label, unique in the marketplace.") var label: String

        func run() async throws {
            let answer = try await options.gateway().updateIntegration(
                path: .init(id: id), body: .json(.init(label: label))
            ).ok.body.json
            try options.output(answer, render: IntegrationsCommand.show)
        }
    }

    /// Replaces an integration's credentials (verified by the app first); a webhook gets a new secret.
    struct Reconnect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give an integration new credentials (a webhook without any gets a new secret).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The integration id.") var id: String
        @OptionGroup var credentials: CredentialOptions

        func run() async throws {
            let answer = try await options.gateway().updateIntegration(
                path: .init(id: id), body: .json(.init(credentials: try credentials.credentials()))
            ).ok.body.json
            try options.output(answer, render: IntegrationsCommand.showConnected)
        }
    }

    /// Re-reads the app's lists, tags and groups.
    struct Refresh: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-read the app's lists, tags and groups.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The integration id.") var id: String

        func run() async throws {
            let answer = try await options.gateway().refreshIntegration(path: .init(id: id)).ok.body.json
            try options.output(answer) { value in
                let counts = value.catalogCounts.additionalProperties
                let summary = counts.keys.sorted().map { "\(counts[$0] ?? 0) \($0)" }.joined(separator: ", ")
                return IntegrationsCommand.show(value.integration)
                    + "\ncatalog       " + (summary.isEmpty ? "empty" : summary)
            }
        }
    }

    /// Searches the integration's catalog, as a typeahead does.
    struct Catalog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search an integration's lists, tags and groups.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The integration id.") var id: String
        @Option(help: "Only this kind: list, tag, group…") var kind: String?
        @Option(help: "Names starting with this, ignoring case.") var prefix: String?
        @Option(help: "At most this many (1 to 500, default 50).") var limit: Int?

        func run() async throws {
            let kind: Components.Schemas.DestinationKind? = try kind.map { try CLIError.parse($0, as: "--kind") }
            let answer = try await options.gateway().searchCatalog(
                path: .init(id: id), query: .init(kind: kind, prefix: prefix, limit: limit)
            ).ok.body.json
            try options.output(answer) {
                Table.render(
                    $0.entries,
                    columns: [
                        ("KIND", { $0.kind.rawValue }), ("ID", { $0.id }), ("NAME", { $0.name }),
                        ("PARENT", { $0.parentId }),
                    ])
            }
        }
    }

    /// Deletes an integration; with --cascade also the rules that use it.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an integration.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The integration id.") var id: String
        @Flag(help: "Also delete the rules that use it (otherwise they make the delete fail).") var cascade = false

        func run() async throws {
            _ = try await options.gateway().deleteIntegration(
                path: .init(id: id), query: .init(cascade: cascade ? true : nil)
            ).noContent
            try options.output(Deleted(id: id)) { _ in "deleted \(id)" }
        }
    }
}

/// What a delete prints with --json: the API answers 204 without a body.
struct Deleted: Encodable {
    var id: String
    var deleted = true
}
