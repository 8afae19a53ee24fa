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
            let answer = try await options.gateway(requireKey: false).send(.GET, "/v1/connectors")
            options.output(answer) { value in
                let rows = value["connectors"]?.array ?? value.array
                let shown = rows.map { row in
                    JSONValue([
                        "name": row["name"]?.text ?? "", "display_name": row["display_name"]?.text ?? "",
                        "auth": row["auth"]?.text ?? "",
                        "actions": (row["actions"]?.array ?? []).compactMap { $0["name"]?.text }.joined(separator: ","),
                    ])
                }
                return Table.render(
                    shown,
                    columns: [
                        ("NAME", "name"), ("DISPLAY NAME", "display_name"), ("AUTH", "auth"), ("ACTIONS", "actions"),
                    ])
            }
        }
    }
}
