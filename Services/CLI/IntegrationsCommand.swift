import ArgumentParser

/// `switchyard integrations list|connect|show|rename|reconnect|refresh|catalog|delete`.
struct IntegrationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "integrations", abstract: "Connected apps.",
        subcommands: [
            List.self, Connect.self, Show.self, Rename.self, Reconnect.self, Refresh.self, Catalog.self, Delete.self,
        ])

    static let columns: [(header: String, key: String)] = [
        ("ID", "id"), ("CONNECTOR", "connector"), ("LABEL", "label"), ("STATUS", "status"), ("CREATED", "created_at"),
    ]

    static func show(_ value: JSONValue) -> String {
        Table.record(value, keys: ["id", "connector", "label", "status", "account", "refreshed_at", "created_at"])
    }

    /// `--credential name=value` flags, shared by connect and reconnect.
    struct CredentialOptions: ParsableArguments {
        @Option(help: "A credential as name=value, e.g. api_key=…; repeat for several.") var credential: [String] = []

        func credentials() throws -> [String: String] {
            var credentials: [String: String] = [:]
            for pair in credential {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw CLIError.usage("--credential must be name=value, not \"\(pair)\"")
                }
                credentials[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            return credentials
        }
    }

    /// Lists the marketplace's integrations.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List integrations.")
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let answer = try await options.gateway().send(.GET, "/v1/integrations")
            options.output(answer) {
                Table.render($0["integrations"]?.array ?? [], columns: IntegrationsCommand.columns)
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
            let body = JSONValue(["connector": connector, "label": label, "credentials": try credentials.credentials()])
            let answer = try await options.gateway().send(.POST, "/v1/integrations", body: body)
            options.output(answer) { value in
                guard let url = value["authorize_url"]?.text else {
                    return Table.record(
                        value, keys: ["id", "connector", "label", "status", "account", "signing_secret"])
                }
                return """
                    Open this URL in a browser and allow access; the integration "\(label)" is created when the app \
                    sends you back (until \(value["expires_at"]?.text ?? "the state expires")):
                    \(url)
                    """
            }
        }
    }

    /// Shows one integration.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one integration.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The integration id.") var id: String

        func run() async throws {
            let answer = try await options.gateway().send(.GET, "/v1/integrations/\(id.pathEscaped)")
            options.output(answer, render: IntegrationsCommand.show)
        }
    }

    /// Gives an integration a new label.
    struct Rename: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rename an integration.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The integration id.") var id: String
        @Option(help: "The new label, unique in the marketplace.") var label: String

        func run() async throws {
            let answer = try await options.gateway().send(
                .PATCH, "/v1/integrations/\(id.pathEscaped)", body: JSONValue(["label": label]))
            options.output(answer, render: IntegrationsCommand.show)
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
            let answer = try await options.gateway().send(
                .PATCH, "/v1/integrations/\(id.pathEscaped)",
                body: JSONValue(["credentials": try credentials.credentials()]))
            options.output(answer) {
                Table.record($0, keys: ["id", "connector", "label", "status", "account", "signing_secret"])
            }
        }
    }

    /// Re-reads the app's lists, tags and groups.
    struct Refresh: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-read the app's lists, tags and groups.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "The integration id.") var id: String

        func run() async throws {
            let answer = try await options.gateway().send(.POST, "/v1/integrations/\(id.pathEscaped)/refresh")
            options.output(answer) { value in
                let counts = value["catalog_counts"]?.object ?? [:]
                let summary = counts.keys.sorted().map { "\(counts[$0]?.text ?? "0") \($0)" }.joined(separator: ", ")
                return IntegrationsCommand.show(value["integration"] ?? value)
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
            let answer = try await options.gateway().send(
                .GET, "/v1/integrations/\(id.pathEscaped)/catalog",
                query: [("kind", kind), ("prefix", prefix), ("limit", limit.map(String.init))])
            options.output(answer) {
                Table.render(
                    $0["entries"]?.array ?? [],
                    columns: [("KIND", "kind"), ("ID", "id"), ("NAME", "name"), ("PARENT", "parent_id")])
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
            _ = try await options.gateway().send(
                .DELETE, "/v1/integrations/\(id.pathEscaped)", query: [("cascade", cascade ? "true" : nil)])
            options.output(JSONValue(["id": id, "deleted": true])) { _ in "deleted \(id)" }
        }
    }
}
