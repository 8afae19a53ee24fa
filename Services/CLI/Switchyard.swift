import ArgumentParser
import Foundation
import OpenAPIRuntime

/// `switchyard`: the command-line client of the Switchyard API, for merchants' scripts and operators.
@main
struct Switchyard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "Manage a Switchyard marketplace: events, integrations, rules and logs.",
        discussion: """
            Configuration comes from flags or the environment: SWITCHYARD_GATEWAY_URL (or GATEWAY_URL), \
            SWITCHYARD_LOGS_URL (or LOGS_URL), SWITCHYARD_API_KEY and SWITCHYARD_ADMIN_TOKEN. \
            `source .switchyard/local.env` sets them for a local installation.

            Output is a table by default; --json prints the API's JSON for scripts.

            Exit codes: 0 ok; 1 the API refused the request (4xx); 2 usage error (bad flags or arguments, \
            missing configuration); 3 the service is unreachable or failed (5xx).
            """,
        subcommands: [
            MarketplaceCommand.self, EventCommand.self, ConnectorsCommand.self, IntegrationsCommand.self,
            RulesCommand.self, LogsCommand.self,
        ])

    /// Parses and runs a command, mapping every failure to the exit codes documented above (ArgumentParser's
    /// own usage code, 64, becomes 2).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            fail(error)
        } catch let error as ClientError {
            fail(CLIError(calling: error))
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(code == .validationFailure ? CLIError.usageExitCode : code.rawValue)
        }
    }

    private static func fail(_ error: CLIError) -> Never {
        FileHandle.standardError.write(Data("switchyard: \(error.message)\n".utf8))
        Foundation.exit(error.exitCode)
    }
}
