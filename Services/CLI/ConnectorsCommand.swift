import ArgumentParser

/// `switchyard connectors list`.
struct ConnectorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connectors", abstract: "The apps Switchyard can connect to.", subcommands: [List.self])

    /// Lists the connectors and their actions.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List connectors.")

        @OptionGroup var options: GlobalOptions

        func run() async throws {
            let answer = try await options.gateway(requireKey: false).listConnectors().ok.body.json
            try options.output(answer) { value in
                Table.render(
                    value.connectors,
                    columns: [
                        ("NAME", { $0.name }), ("DISPLAY NAME", { $0.displayName }), ("AUTH", { $0.auth.rawValue }),
                        ("ACTIONS", { $0.actions.map(\.name).joined(separator: ",") }),
                    ])
            }
        }
    }
}
