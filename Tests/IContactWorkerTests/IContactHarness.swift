import AsyncHTTPClient
import Connectors
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Messages
import ServiceRuntime
import Testing
import VendorFakes

@testable import IContactWorker

/// The iContact fake served on a local port, a connector pointed at it, and one connected account with a list.
struct IContactHarness: Sendable {
    let fake: IContactFake
    let connector: IContactConnector
    let login = IContactFakeState.Credentials(
        appID: "switchyard-app", username: "merchant@example.com", password: "s3cret-app-pass")
    let accountID: String
    let clientFolderID: String
    let newsletterID: String

    var state: IContactFakeState { fake.state }

    /// What `verify` returns and an integration stores.
    var stored: [String: String] {
        [
            "app_id": login.appID, "username": login.username, "app_password": login.password,
            "account_id": accountID, "client_folder_id": clientFolderID,
        ]
    }

    var credentials: IntegrationCredentials {
        IntegrationCredentials(integrationID: "int_1", label: "Store iContact", account: nil, values: stored)
    }

    /// Serves a fresh fake for the length of `body`. `environment` adds settings (timeout, page size…).
    static func run(
        environment: [String: String] = [:], _ body: @Sendable (IContactHarness) async throws -> Void
    ) async throws {
        let fake = IContactFake()
        let app = Application(router: fake.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            var values = environment
            values["SWITCHYARD_ICONTACT_API_URL"] = "http://127.0.0.1:\(port)/icp"
            let connector = IContactConnector(
                settings: try IContactSettings(Settings(values)), client: .shared,
                logger: Logger(label: "icontact-test"))
            let login = IContactFakeState.Credentials(
                appID: "switchyard-app", username: "merchant@example.com", password: "s3cret-app-pass")
            let (accountID, folderID) = await fake.state.addAccount(login)
            let newsletter = await fake.state.addList(login, name: "Newsletter")
            let harness = IContactHarness(
                fake: fake, connector: connector, accountID: accountID, clientFolderID: folderID,
                newsletterID: newsletter)
            try await body(harness)
        }
    }

    /// An action command for `customer`, as the matcher sends it.
    func command(
        _ action: String, email: String, firstName: String? = nil, lastName: String? = nil, list: Destination? = nil
    ) -> ActionCommand {
        let destination = list ?? Destination(kind: .list, id: newsletterID, name: "Newsletter", fromCatalog: true)
        return ActionCommand(
            commandID: UUID().uuidString, marketplaceID: "mkt_1",
            event: TriggerEvent(
                id: UUID().uuidString, type: .productPurchased,
                customer: .init(email: email, firstName: firstName, lastName: lastName), product: .init(id: "prod_1")),
            rule: RuleSnapshot(
                id: "rule_1", trigger: .productPurchased, productID: "prod_1", integrationID: "int_1",
                integrationLabel: "Store iContact", connector: "icontact", action: action, destination: destination),
            createdAt: Date())
    }

    /// Performs the action and checks what every result must satisfy: no credential anywhere in it.
    func perform(_ command: ActionCommand, credentials: IntegrationCredentials? = nil) async -> ActionResult {
        let result = await connector.perform(command, credentials: credentials ?? self.credentials)
        for text in [result.reason, result.request, result.response] {
            #expect(!text.contains(login.password), "an action result must never contain the app password")
        }
        return result
    }
}
