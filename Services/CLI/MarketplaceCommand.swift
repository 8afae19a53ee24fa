import ArgumentParser

/// `switchyard marketplace create NAME` (operator only: needs the admin token).
struct MarketplaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "marketplace", abstract: "Create marketplaces (needs the admin token).", subcommands: [Create.self]
    )

    /// Creates a marketplace and shows its API key (shown once).
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a marketplace; prints its API key once.")

        @OptionGroup var options: GlobalOptions
        @Argument(help: "The marketplace's name.") var name: String

        func run() async throws {
            let answer = try await options.admin().createMarketplace(body: .json(.init(name: name))).created.body.json
            try options.output(answer) {
                Table.record(["id": $0.id, "name": $0.name, "api_key": $0.apiKey])
            }
        }
    }
}
