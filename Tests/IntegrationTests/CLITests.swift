import APIClient
import Foundation
import Testing

extension Integration {
    @Suite struct CLITests {
        struct Run {
            var code: Int32
            var stdout: String
            var stderr: String
            /// What `--json` printed, as the API's model it prints.
            func decoded<T: Decodable>(as type: T.Type) throws -> T {
                try SwitchyardClient.decoder().decode(type, from: Data(stdout.utf8))
            }
        }

        /// Runs the built `switchyard` binary with exactly this environment (nothing inherited).
        static func run(_ arguments: [String], environment: [String: String]) async throws -> Run {
            let process = Process()
            process.executableURL = TestEnvironment.binDirectory.appendingPathComponent("switchyard")
            process.arguments = arguments
            process.environment = environment
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            // Read before waiting, so a large output cannot fill the pipe and block the child.
            let stdout = out.fileHandleForReading.readDataToEndOfFile()
            let stderr = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return Run(
                code: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                stderr: String(decoding: stderr, as: UTF8.self))
        }

        @Test("the CLI drives the whole API with --json, tables by default, and meaningful exit codes")
        func cliEndToEnd() async throws {
            let stack = try await TestStack.shared()
            // The names .switchyard/local.env sets.
            var environment = [
                "GATEWAY_URL": stack.gatewayURL, "LOGS_URL": stack.logsURL, "SWITCHYARD_ADMIN_TOKEN": stack.adminToken,
            ]

            let created = try await Self.run(
                ["marketplace", "create", "CLI Store", "--json"], environment: environment)
            #expect(created.code == 0, "\(created.stderr)")
            let key = try created.decoded(as: Gateway.MarketplaceCreated.self).apiKey
            environment["SWITCHYARD_API_KEY"] = key

            let connectors = try await Self.run(["connectors", "list"], environment: environment)
            #expect(connectors.code == 0)
            #expect(connectors.stdout.contains("NAME"))
            #expect(connectors.stdout.contains("webhook"))

            let integration = try await Self.run(
                ["integrations", "create", "--connector", "webhook", "--label", "CLI hook", "--json"],
                environment: environment)
            #expect(integration.code == 0, "\(integration.stderr)")
            let integrationID = try integration.decoded(as: Gateway.Integration.self).id
            let shown = try await Self.run(["integrations", "show", integrationID, "--json"], environment: environment)
            #expect(try shown.decoded(as: Gateway.Integration.self).label == "CLI hook")
            let listed = try await Self.run(["integrations", "list"], environment: environment)
            #expect(listed.stdout.contains(integrationID))

            let path = "/switch/cli-\(UUID().uuidString)"
            let rule = try await Self.run(
                [
                    "rules", "create", "--trigger", "product.purchased", "--integration-id", integrationID,
                    "--action", "post",
                    "--destination-kind", "url", "--destination-name", stack.receiver.url(path), "--json",
                ], environment: environment)
            #expect(rule.code == 0, "\(rule.stderr)")
            let ruleID = try rule.decoded(as: Gateway.Rule.self).id
            let ruleShown = try await Self.run(["rules", "show", ruleID, "--json"], environment: environment)
            #expect(try ruleShown.decoded(as: Gateway.Rule.self).id == ruleID)
            #expect(try await Self.run(["rules", "list"], environment: environment).stdout.contains(ruleID))

            let eventID = "evt_cli_\(UUID().uuidString)"
            let published = try await Self.run(
                [
                    "event", "publish", "--id", eventID, "--type", "product.purchased", "--email", "cli@example.com",
                    "--product", "prod_cli", "--price", "9.00", "--json",
                ], environment: environment)
            #expect(published.code == 0, "\(published.stderr)")
            #expect(try published.decoded(as: Gateway.EventAccepted.self).status == .accepted)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("event-\(UUID().uuidString).json")
            let fileEventID = "evt_cli_file_\(UUID().uuidString)"
            let fileEvent = TestStack.event(id: fileEventID, type: .product_refunded)
            try SwitchyardClient.encoder().encode(fileEvent).write(to: file)
            let fromFile = try await Self.run(
                ["event", "publish", "--file", file.path, "--json"], environment: environment)
            #expect(fromFile.code == 0, "\(fromFile.stderr)")
            #expect(try fromFile.decoded(as: Gateway.EventAccepted.self).eventId == fileEventID)

            // The receiver answers 503 until switched: the delivery ends failed; replay it once the receiver is back.
            let entries = try await stack.logEntries(key: key, eventID: eventID, timeout: .seconds(30)) {
                $0.first.map(isFinal) ?? false
            }
            let entryID = try #require(entries.first?.id)
            let search = try await Self.run(
                ["logs", "search", "--event-id", eventID, "--json"], environment: environment)
            #expect(search.code == 0)
            #expect(try search.decoded(as: Logs.LogPage.self).entries.first?.status == .failed)
            let table = try await Self.run(["logs", "search", "--status", "failed"], environment: environment)
            #expect(table.stdout.contains(entryID))
            #expect(table.stdout.contains("STATUS"))
            stack.receiver.answer(path: path, status: 204)
            let replay = try await Self.run(["logs", "replay", entryID, "--json"], environment: environment)
            #expect(replay.code == 0, "\(replay.stderr)")
            _ = try await stack.logEntries(key: key, eventID: eventID) { $0.first?.status == .success }
            let show = try await Self.run(["logs", "show", entryID, "--json"], environment: environment)
            let shownEntry = try show.decoded(as: Logs.LogEntry.self)
            #expect(shownEntry.status == .success)
            #expect(shownEntry.attempts.count == 4)
            let human = try await Self.run(["logs", "show", entryID], environment: environment)
            #expect(human.stdout.contains("attempts:"))

            // Exit codes: 1 refused (4xx), 2 usage, 3 unreachable.
            let refused = try await Self.run(["logs", "replay", entryID], environment: environment)
            #expect(refused.code == 1)
            #expect(refused.stderr.contains("409"))
            #expect(try await Self.run(["logs", "show", "log_missing"], environment: environment).code == 1)
            #expect(try await Self.run(["logs", "search", "--bogus"], environment: environment).code == 2)
            let noEmail = try await Self.run(
                ["event", "publish", "--type", "product.purchased"], environment: environment)
            #expect(noEmail.code == 2)
            var keyless = environment
            keyless["SWITCHYARD_API_KEY"] = nil
            let noKey = try await Self.run(["logs", "search"], environment: keyless)
            #expect(noKey.code == 2)
            #expect(noKey.stderr.contains("SWITCHYARD_API_KEY"))
            var unreachable = environment
            unreachable["SWITCHYARD_LOGS_URL"] = "http://127.0.0.1:\(TestStack.freePorts(1)[0])"
            #expect(try await Self.run(["logs", "search"], environment: unreachable).code == 3)
            let help = try await Self.run(["--help"], environment: environment)
            #expect(help.code == 0)
            #expect(help.stdout.contains("Exit codes"))

            let disabled = try await Self.run(["rules", "disable", ruleID, "--json"], environment: environment)
            #expect(disabled.code == 0)
            #expect(try disabled.decoded(as: Gateway.Rule.self).enabled == false)
            let enabled = try await Self.run(["rules", "enable", ruleID, "--json"], environment: environment)
            #expect(enabled.code == 0)
            #expect(try enabled.decoded(as: Gateway.Rule.self).enabled == true)
            let updated = try await Self.run(
                ["rules", "update", ruleID, "--trigger", "product.refunded", "--json"], environment: environment)
            #expect(updated.code == 0)
            #expect(try updated.decoded(as: Gateway.Rule.self).trigger == .product_refunded)
            let refusedUpdate = try await Self.run(
                ["rules", "update", ruleID, "--trigger", "nope"], environment: environment)
            #expect(
                refusedUpdate.code == 2,
                "an unknown trigger is a usage error: the contract's enum is checked before any call")
            #expect(
                refusedUpdate.stderr.contains("product.purchased"),
                "the usage error lists the triggers: \(refusedUpdate.stderr)")

            #expect(try await Self.run(["rules", "delete", ruleID], environment: environment).code == 0)
            #expect(try await Self.run(["rules", "show", ruleID], environment: environment).code == 1)
        }

        @Test("the CLI manages integrations: connect, rename, catalog search, refresh, delete with and without cascade")
        func integrationCommands() async throws {
            let stack = try await TestStack.shared()
            let (marketplaceID, key) = try await stack.createMarketplace("CLI integrations")
            let environment = ["GATEWAY_URL": stack.gatewayURL, "LOGS_URL": stack.logsURL, "SWITCHYARD_API_KEY": key]

            let connected = try await Self.run(
                ["integrations", "connect", "--connector", "webhook", "--label", "Hook", "--json"],
                environment: environment)
            #expect(connected.code == 0, "\(connected.stderr)")
            let hookID = try connected.decoded(as: Gateway.Integration.self).id
            let renamed = try await Self.run(
                ["integrations", "rename", hookID, "--label", "Renamed"], environment: environment)
            #expect(renamed.code == 0, "\(renamed.stderr)")
            #expect(renamed.stdout.contains("Renamed"))
            let rule = try await Self.run(
                [
                    "rules", "create", "--trigger", "product.purchased", "--integration-id", hookID, "--action", "post",
                    "--destination-kind", "url", "--destination-name", stack.receiver.url("/ok/cli-integrations"),
                    "--json",
                ],
                environment: environment)
            let ruleID = try rule.decoded(as: Gateway.Rule.self).id
            let refused = try await Self.run(["integrations", "delete", hookID], environment: environment)
            #expect(refused.code == 1)
            #expect(
                refused.stderr.contains("integration_in_use") && refused.stderr.contains(ruleID), "\(refused.stderr)")
            #expect(
                try await Self.run(["integrations", "delete", hookID, "--cascade"], environment: environment).code == 0)
            #expect(try await Self.run(["rules", "show", ruleID], environment: environment).code == 1)

            let mailchimp = try await stack.seedIntegration(marketplaceID: marketplaceID, label: "Mailchimp")
            try await stack.withCatalog { catalog in
                try await catalog.upsert(integrationID: mailchimp, kind: .tag, id: "t1", name: "VIP", parentID: "l1")
                try await catalog.upsert(integrationID: mailchimp, kind: .tag, id: "t2", name: "Buyers", parentID: "l1")
            }
            let search = try await Self.run(
                ["integrations", "catalog", mailchimp, "--kind", "tag", "--prefix", "vi"], environment: environment)
            #expect(search.code == 0, "\(search.stderr)")
            #expect(
                search.stdout.contains("PARENT") && search.stdout.contains("VIP") && !search.stdout.contains("Buyers"))
            let tagRule = try await Self.run(
                [
                    "rules", "create", "--trigger", "product.purchased", "--integration-id", mailchimp, "--action",
                    "add_tag",
                    "--destination-kind", "tag", "--destination-name", "Typed", "--destination-parent-id", "l1",
                    "--json",
                ],
                environment: environment)
            #expect(tagRule.code == 0, "\(tagRule.stderr)")
            #expect(try tagRule.decoded(as: Gateway.Rule.self).destination.parentId == "l1")

            // No Mailchimp worker answers this gateway: it says so, and the CLI exits 3.
            var workerless = environment
            workerless["GATEWAY_URL"] = stack.workerlessGatewayURL
            let refresh = try await Self.run(["integrations", "refresh", mailchimp], environment: workerless)
            #expect(refresh.code == 3)
            #expect(refresh.stderr.contains("No mailchimp worker answered"), "\(refresh.stderr)")
        }
    }
}
