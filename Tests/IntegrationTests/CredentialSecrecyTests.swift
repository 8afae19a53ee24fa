import Foundation
import Testing
import VendorFakes

extension Integration {
    /// No credential in plain text anywhere Switchyard writes or answers: after connecting Mailchimp with an API key
    /// and with OAuth and iContact with an app password, refreshing and acting with each (and a refused connect),
    /// neither a dump of the database nor any service's log file nor any API answer holds one of them.
    @Suite struct CredentialSecrecyTests {
        static let pgDump = "/usr/lib/postgresql/15/bin/pg_dump"

        @Test(
            "a pg_dump of the database, every service log and every API answer hold no API key, token or password",
            .enabled(if: FileManager.default.isExecutableFile(atPath: pgDump), "needs PostgreSQL 15's pg_dump"))
        func noPlaintextCredential() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let mailchimp = stack.fakes.mailchimp

            // Mailchimp with an API key.
            let keyed = await stack.mailchimpAccount()
            _ = await mailchimp.addAudience(account: keyed.id, name: "Newsletter")
            let byKey = try await stack.connected(
                key: key, connector: "mailchimp", label: "Keyed", credentials: ["api_key": keyed.apiKey])

            // Mailchimp with OAuth.
            let oauthAccount = await mailchimp.addAccount(dc: "us6", name: "OAuth shop", email: "owner@example.com")
            _ = await mailchimp.addAudience(account: oauthAccount, name: "Newsletter")
            await mailchimp.setAuthorizingAccount(oauthAccount)
            // The connects whose answers are searched below are sent raw (with the contract's models): the search
            // reads the answers' bytes, which the typed client would decode away.
            let connectURL = "\(stack.gatewayURL)/v1/integrations"
            let started = try await API.json(
                "POST", connectURL, token: key, body: Gateway.ConnectIntegration(connector: "mailchimp", label: "OAuth")
            )
            #expect(started.status == 200, "\(started.text)")
            let authorizeURL = try started.decoded(as: Gateway.OAuthStart.self).authorizeUrl
            let redirect = try #require(
                try await API.raw("GET", authorizeURL, followRedirects: false).headers.first(name: "location"))
            // The browser follows the app's redirect to the callback: raw, as the URL the app hands it.
            let finished = try await API.raw("GET", redirect)
            #expect(finished.status == 201, "\(finished.text)")
            let oauthID = try finished.decoded(as: Gateway.Integration.self).id
            let byOAuth = try await stack.refreshed(key: key, integrationID: oauthID)
            let token = try #require(await mailchimp.accessTokens(account: oauthAccount).first)

            // iContact with an app password, after a refused one.
            let suffix = UUID().uuidString.prefix(8).lowercased()
            let login = IContactFakeState.Credentials(
                appID: "app-\(suffix)", username: "owner-\(suffix)@example.com", password: "Pw-e2e-\(suffix)-secret")
            await stack.fakes.icontact.addAccount(login)
            _ = await stack.fakes.icontact.addList(login, name: "Newsletter")
            let wrongPassword = "Wrong-e2e-\(suffix)-secret"
            let refused = try await API.json(
                "POST", connectURL, token: key,
                body: Gateway.ConnectIntegration(
                    connector: "icontact", label: "Refused",
                    credentials: .init(
                        additionalProperties: [
                            "app_id": login.appID, "username": login.username, "app_password": wrongPassword,
                        ])))
            #expect(refused.status == 422, "\(refused.text)")
            let byPassword = try await stack.connected(
                key: key, connector: "icontact", label: "Lists",
                credentials: IContactPipelineTests.credentials(login))

            // Each integration acts once, so each credential went through a worker's hands.
            for integration in [byKey, byOAuth, byPassword] {
                try await stack.appRule(
                    key: key, integrationID: integration.id, action: "add_to_list",
                    destination: .init(kind: .list, name: "Newsletter"))
            }
            let entries = try await stack.purchase(key: key, email: MailchimpPipelineTests.email(), count: 3)
            #expect(entries.allSatisfy { $0.status == .success }, "\(entries)")

            let secrets = [
                "the Mailchimp API key": keyed.apiKey, "the OAuth access token": token,
                "the iContact app password": login.password,
                "the refused iContact password": wrongPassword,
            ]
            func expectNone(in text: String, _ place: String) {
                for (what, secret) in secrets {
                    let leaked = text.contains(secret)  // not the text itself in the failure: it may be a whole log
                    #expect(!leaked, "\(what) is in \(place)")
                }
            }

            let dump = try Self.dump(stack)
            #expect(dump.contains("OAuth shop (us6)"), "the dump holds the integrations")
            expectNone(in: dump, "the database dump")
            let logs = try stack.serviceLogs()
            #expect(logs.count >= stack.processes.count)
            let workerLog = logs.filter { $0.name.hasPrefix("switchyard-mailchimp-worker") }.map(\.text).joined()
            #expect(workerLog.contains(byKey.id), "the logs read are the ones the worker wrote to")
            for (name, text) in logs { expectNone(in: text, name) }

            // Every answer as sent, byte for byte (raw: a credential could sit in a member the contract's models would
            // drop when decoding).
            var answers = [started, finished, refused]
            for path in ["/v1/integrations", "/v1/rules", "/v1/connectors"] {
                answers.append(try await API.raw("GET", "\(stack.gatewayURL)\(path)", token: key))
            }
            for integration in [byKey, byOAuth, byPassword] {
                let url = "\(stack.gatewayURL)/v1/integrations/\(integration.id)"
                answers.append(try await API.raw("GET", url, token: key))
                answers.append(try await API.raw("POST", "\(url)/refresh", token: key))
                answers.append(try await API.raw("GET", "\(url)/catalog", token: key))
            }
            for entry in entries {
                answers.append(try await API.raw("GET", "\(stack.logsURL)/v1/logs/\(entry.id)", token: key))
            }
            answers.append(try await API.raw("GET", "\(stack.logsURL)/v1/logs", token: key))
            answers.append(try await API.raw("GET", "\(stack.logsURL)/v1/config-logs", token: key))
            #expect(answers.allSatisfy { $0.status < 300 || $0.status == 422 }, "\(answers.map(\.status))")
            for answer in answers { expectNone(in: answer.text, "an API answer") }
        }

        /// `pg_dump` of the stack's database, as plain SQL.
        static func dump(_ stack: TestStack) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: pgDump)
            process.arguments = ["--dbname=\(stack.gateway.environment["SWITCHYARD_DATABASE_URL"] ?? "")"]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw HarnessError("pg_dump exited \(process.terminationStatus)")
            }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
