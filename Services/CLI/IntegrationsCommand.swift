import ArgumentParser

/// `switchyard integrations list|create|show`.
struct IntegrationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "integrations", abstract: "Connected apps.", subcommands: [List.self, Create.self, Show.self])

    static let columns: [(header: String, key: String)] = [
        ("ID", "id"), ("CONNECTOR", "connector"), ("LABEL", "label"), ("STATUS", "status"), ("CREATED", "created_at"),
    ]

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

    /// Connects an app with credentials (`--credential name=value`, repeatable).
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Connect an app.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "The connector, e.g. webhook.") var connector: String
        @Option(help: "A name unique in the marketplace.") var label: String
        @Option(help: "A credential as name=value; repeat for several.") var credential: [String] = []

        func run() async throws {
            var credentials: [String: String] = [:]
            for pair in credential {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw CLIError.usage("--credential must be name=value, not \"\(pair)\"")
                }
                credentials[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            let body = JSONValue(["connector": connector, "label": label, "credentials": credentials])
            let answer = try await options.gateway().send(.POST, "/v1/integrations", body: body)
            options.output(answer) {
                Table.record($0, keys: ["id", "connector", "label", "status", "signing_secret", "authorize_url"])
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
            options.output(answer) {
                Table.record($0, keys: ["id", "connector", "label", "status", "account", "refreshed_at", "created_at"])
            }
        }
    }
}
