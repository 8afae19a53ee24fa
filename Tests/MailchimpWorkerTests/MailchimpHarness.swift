import AsyncHTTPClient
import ConnectorKit
import Connectors
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Messages
import ServiceRuntime
import Testing
import VendorFakes

@testable import MailchimpWorker

/// The connector wired to a Mailchimp fake served on a free local port, with one account ("Demo Store", us6), an API
/// key, an OAuth client and an audience "Newsletter".
struct MailchimpHarness: Sendable {
    let fake: MailchimpFake
    let connector: MailchimpConnector
    /// The worker's HTTP client (as `ConnectorWorker` configures it: no redirects followed), also used for what the
    /// merchant's browser would do.
    let browser: HTTPClient
    let port: Int
    let account: String
    let apiKey: String
    let newsletter: String

    static let clientID = "switchyard-client"
    static let clientSecret = "switchyard-secret"

    /// Runs `body` against a fresh fake and connector. `environment` adds or overrides worker settings.
    static func run(
        environment: [String: String] = [:], _ body: @Sendable (MailchimpHarness) async throws -> Void
    ) async throws {
        let fake = MailchimpFake()
        let account = await fake.state.addAccount(dc: "us6", name: "Demo Store")
        let apiKey = await fake.state.issueAPIKey(account: account)
        await fake.state.registerClient(id: clientID, secret: clientSecret)
        let newsletter = await fake.state.addAudience(account: account, name: "Newsletter")
        let app = Application(router: fake.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            var values = [
                "SWITCHYARD_MAILCHIMP_API_URL": "http://127.0.0.1:\(port)/{dc}",
                "SWITCHYARD_MAILCHIMP_LOGIN_URL": "http://127.0.0.1:\(port)/login",
                "SWITCHYARD_MAILCHIMP_CLIENT_ID": clientID, "SWITCHYARD_MAILCHIMP_CLIENT_SECRET": clientSecret,
            ]
            values.merge(environment) { $1 }
            let http = HTTPClient(
                eventLoopGroupProvider: .singleton, configuration: ConnectorWorker.httpClientConfiguration)
            let harness = MailchimpHarness(
                fake: fake,
                connector: MailchimpConnector(
                    settings: try MailchimpSettings(Settings(values)), client: http, logger: Logger(label: "test")),
                browser: http, port: port, account: account, apiKey: apiKey, newsletter: newsletter)
            do {
                try await body(harness)
            } catch {
                try await http.shutdown()
                throw error
            }
            try await http.shutdown()
        }
    }

    /// Credentials as the runtime hands them over after `verify` stored them.
    func credentials(_ values: [String: String]? = nil, integrationID: String = "int_1") -> IntegrationCredentials {
        IntegrationCredentials(
            integrationID: integrationID, label: "Melissa's Mailchimp", account: "Demo Store (us6)",
            values: values ?? ["api_key": apiKey, "dc": "us6", "account_id": account])
    }

    /// An action command for a purchase by `email`.
    func command(
        _ action: String, _ destination: Destination, email: String = "jane@example.com", firstName: String? = "Jane",
        lastName: String? = "Doe"
    ) -> ActionCommand {
        let event = TriggerEvent(
            id: "evt_\(UUID().uuidString.prefix(8))", type: .productPurchased,
            customer: .init(email: email, firstName: firstName, lastName: lastName), product: .init(id: "prod_course"))
        let rule = RuleSnapshot(
            id: "rule_1", trigger: .productPurchased, productID: "prod_course", integrationID: "int_1",
            integrationLabel: "Melissa's Mailchimp", connector: "mailchimp", action: action, destination: destination)
        return ActionCommand(
            commandID: "cmd_\(UUID().uuidString.prefix(8))", marketplaceID: "mkt_1", event: event, rule: rule,
            createdAt: Date())
    }

    func perform(_ action: String, _ destination: Destination, email: String = "jane@example.com") async -> ActionResult
    {
        await connector.perform(command(action, destination, email: email), credentials: credentials())
    }

    /// The newsletter audience as picked from the catalog.
    var newsletterDestination: Destination {
        Destination(kind: .list, id: newsletter, name: "Newsletter", fromCatalog: true)
    }

    func member(_ email: String = "jane@example.com", list: String? = nil) async -> MailchimpFakeState.Member? {
        await fake.state.member(account: account, list: list ?? newsletter, email: email)
    }
}

extension ActionResult.Verdict {
    var isTransient: Bool {
        if case .transient = self { return true }
        return false
    }
}
