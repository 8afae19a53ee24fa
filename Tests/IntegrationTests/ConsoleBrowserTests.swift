import Foundation
import Testing
import VendorFakes

/// The merchant's whole journey in a real headless Chromium (`console-journey.py`, selenium driving Debian's
/// chromium and chromedriver), against the `switchyard-console` executable and a stack with the vendor fakes.
/// Screenshots of every screen land in `.switchyard/test/screenshots/`.
extension Integration {
    @Suite(.serialized) struct ConsoleBrowserTests {
        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("console-journey.py").path
        static let screenshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".switchyard/test/screenshots")

        @Test(
            "sign in, connect Mailchimp (OAuth) and iContact, refresh, make rules, send test events, replay a failure")
        func merchantJourney() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace("Browser journey")
            let mailchimp = stack.fakes.mailchimp
            let account = await mailchimp.addAccount(dc: "us5", name: "Journey Store", email: "owner@example.com")
            let audience = await mailchimp.addAudience(account: account, name: "Customers")
            for tag in ["VIP", "Vegan", "Verified buyer"] + (1...60).map({ String(format: "Campaign %02d", $0) }) {
                await mailchimp.addTag(account: account, list: audience, name: tag)
            }
            await mailchimp.setAuthorizingAccount(account)
            let refused = "unsubscribed-\(UUID().uuidString.prefix(6).lowercased())@example.com"
            let icontact = IContactFakeState.Credentials(
                appID: "browser-app-id", username: "shop@example.com", password: "icontact-app-password")
            _ = await stack.fakes.icontact.addAccount(icontact)
            _ = await stack.fakes.icontact.addList(icontact, name: "Newsletter")

            let port = TestStack.freePorts(1)[0]
            let logs = FileManager.default.temporaryDirectory.appendingPathComponent("console-\(port)")
            try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
            let console = ServiceProcess(
                name: "switchyard-console",
                environment: [
                    TestStack.portKey: "\(port)", "SWITCHYARD_GATEWAY_URL": stack.gatewayURL,
                    "SWITCHYARD_LOGS_URL": stack.logsURL, "SWITCHYARD_ICONTACT_APP_ID": icontact.appID,
                    "SWITCHYARD_CONSOLE_SESSION_KEY": Data((0..<32).map { _ in UInt8.random(in: 0...255) })
                        .base64EncodedString(),
                    "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                ],
                logDirectory: logs)
            try console.start()
            defer { console.terminate() }
            let url = "http://127.0.0.1:\(port)"
            try await TestStack.waitUntilHealthy(["\(url)/health"], processes: [console], timeout: .seconds(30))

            try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)
            let environment = [
                "CONSOLE_URL": url, "API_KEY": key, "SCREENSHOTS": Self.screenshots.path,
                "OK_EMAIL": "buyer-\(UUID().uuidString.prefix(6).lowercased())@example.com", "REFUSED_EMAIL": refused,
                "ICONTACT_USERNAME": icontact.username, "ICONTACT_PASSWORD": icontact.password,
                "TYPED_AUDIENCE": "Webinar guests",
            ].map { "\($0.key)=\(AMQPIngestionTests.quoted($0.value))" }.joined(separator: " ")
            let journey = "\(environment) python3 \(AMQPIngestionTests.quoted(Self.script))"
            let setup = try await run("\(journey) setup", console)
            #expect(setup.contains("10-product-rules.png"))

            // Made in Mailchimp after the refresh, so the console's catalog does not have it: the merchant types it.
            // The refused address unsubscribed from it earlier: Mailchimp refuses to subscribe it again (compliance).
            let webinar = await mailchimp.addAudience(account: account, name: "Webinar guests")
            await mailchimp.setMember(account: account, list: webinar, email: refused, status: "unsubscribed")
            let rules = try await run("\(journey) rules", console)
            let entry = try #require(
                rules.split(separator: "\n").last { $0.hasPrefix("FAILED_ENTRY ") }?.dropFirst("FAILED_ENTRY ".count),
                "the journey names the failed entry:\n\(rules)")
            #expect(rules.contains("17-config-logs.png"))

            // The merchant sorted it out in Mailchimp; the replay now succeeds.
            await mailchimp.setMember(account: account, list: webinar, email: refused, status: "subscribed")
            let replay = try await run("\(journey) replay \(AMQPIngestionTests.quoted(String(entry)))", console)
            #expect(replay.contains("18-log-entry-replayed.png"))
            #expect(
                await mailchimp.member(account: account, list: audience, email: refused)?.tags.contains("VIP") == true)
            #expect(await mailchimp.member(account: account, list: webinar, email: refused)?.status == "subscribed")
        }

        /// Runs the journey; on failure the error carries its output and the console's log.
        private func run(_ command: String, _ console: ServiceProcess) async throws -> String {
            do {
                return try await AMQPIngestionTests.shell(command)
            } catch {
                throw HarnessError("\(error)\n== console log\n\(console.logTail(lines: 60))")
            }
        }
    }
}
