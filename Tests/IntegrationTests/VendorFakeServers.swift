import VendorFakes

/// The Mailchimp and iContact fakes, served in the test process before the services start. The connector workers
/// reach them over HTTP at the URLs below; tests set up accounts and read what the "apps" now hold through `state`.
struct VendorFakeServers: Sendable {
    let mailchimp: MailchimpFakeState
    let icontact: IContactFakeState
    let mailchimpPort: Int
    let icontactPort: Int

    /// Switchyard's OAuth app as registered with the Mailchimp fake.
    static let oauthClientID = "switchyard-e2e-client"
    static let oauthClientSecret = "e2e-client-secret-5b0d"

    static func start() async throws -> VendorFakeServers {
        let mailchimp = MailchimpFake()
        await mailchimp.state.registerClient(id: oauthClientID, secret: oauthClientSecret)
        let icontact = IContactFake()
        return VendorFakeServers(
            mailchimp: mailchimp.state, icontact: icontact.state,
            mailchimpPort: try await InProcessServer.start(mailchimp.router(), name: "mailchimp-fake"),
            icontactPort: try await InProcessServer.start(icontact.router(), name: "icontact-fake"))
    }

    /// What points a worker at the fakes: small pages so that reading a catalog must page, short timeouts.
    var workerEnvironment: [String: String] {
        [
            "SWITCHYARD_MAILCHIMP_API_URL": "http://127.0.0.1:\(mailchimpPort)/{dc}",
            "SWITCHYARD_MAILCHIMP_LOGIN_URL": "http://127.0.0.1:\(mailchimpPort)/login",
            "SWITCHYARD_MAILCHIMP_CLIENT_ID": Self.oauthClientID,
            "SWITCHYARD_MAILCHIMP_CLIENT_SECRET": Self.oauthClientSecret,
            "SWITCHYARD_MAILCHIMP_PAGE_SIZE": "2",
            "SWITCHYARD_MAILCHIMP_TIMEOUT": "3s",
            // Two processes may run at once (the load-sharing test): 5 each stays within Mailchimp's 10.
            "SWITCHYARD_MAILCHIMP_MAX_IN_FLIGHT": "5",
            "SWITCHYARD_ICONTACT_API_URL": "http://127.0.0.1:\(icontactPort)/icp",
            "SWITCHYARD_ICONTACT_PAGE_SIZE": "2",
            "SWITCHYARD_ICONTACT_TIMEOUT": "3s",
        ]
    }
}
