import Foundation
import Hummingbird
import Logging
import VendorFakes

/// Runs the Mailchimp and iContact fakes for local demos: `deploy/local/up` can point the connector workers at
/// them. Seeds one account of each with a few lists, and prints the credentials to use.
@main
struct VendorFakesServer {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        let host = environment["SWITCHYARD_HTTP_HOST"] ?? "127.0.0.1"
        let mailchimpPort = Int(environment["SWITCHYARD_FAKE_MAILCHIMP_PORT"] ?? "") ?? 9301
        let icontactPort = Int(environment["SWITCHYARD_FAKE_ICONTACT_PORT"] ?? "") ?? 9302
        let logger = Logger(label: "switchyard.vendor-fakes")

        let mailchimp = MailchimpFake()
        let account = await mailchimp.state.addAccount(dc: "us6", name: "Demo Store")
        let apiKey = await mailchimp.state.issueAPIKey(account: account)
        // "Connect with OAuth" signs in to this account.
        await mailchimp.state.setAuthorizingAccount(account)
        await mailchimp.state.registerClient(
            id: environment["SWITCHYARD_MAILCHIMP_CLIENT_ID"] ?? "demo-client",
            secret: environment["SWITCHYARD_MAILCHIMP_CLIENT_SECRET"] ?? "demo-secret")
        let newsletter = await mailchimp.state.addAudience(account: account, name: "Newsletter")
        _ = await mailchimp.state.addAudience(account: account, name: "Customers")
        for tag in ["VIP", "video-course", "vip-2026"] {
            await mailchimp.state.addTag(account: account, list: newsletter, name: tag)
        }
        await mailchimp.state.addGroup(
            account: account, list: newsletter, category: "Interests", interests: ["Courses", "Coaching"])

        let icontact = IContactFake()
        let credentials = IContactFakeState.Credentials(
            appID: "demo-app-id", username: "demo@example.com", password: "demo-app-password")
        await icontact.state.addAccount(credentials)
        await icontact.state.addList(credentials, name: "Newsletter")

        logger.info(
            "Mailchimp fake at http://\(host):\(mailchimpPort)/{dc} (login host http://\(host):\(mailchimpPort)/login); API key \(apiKey)"
        )
        logger.info(
            "iContact fake at http://\(host):\(icontactPort)/icp; app id demo-app-id, username demo@example.com, app password demo-app-password"
        )

        let mailchimpApp = Application(
            router: mailchimp.router(),
            configuration: .init(address: .hostname(host, port: mailchimpPort), serverName: "mailchimp-fake"),
            logger: logger)
        let icontactApp = Application(
            router: icontact.router(),
            configuration: .init(address: .hostname(host, port: icontactPort), serverName: "icontact-fake"),
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await mailchimpApp.runService() }
            group.addTask { try await icontactApp.runService() }
            try await group.next()
            group.cancelAll()
        }
    }
}
