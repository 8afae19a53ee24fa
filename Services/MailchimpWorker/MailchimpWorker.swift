import ConnectorKit

/// The Mailchimp worker process: the shared connector runtime around `MailchimpConnector`. Run more processes to
/// share the load (and divide `SWITCHYARD_MAILCHIMP_MAX_IN_FLIGHT` among them).
@main
struct MailchimpWorker {
    static func main() async throws {
        try await ConnectorWorker.main(processName: "switchyard-mailchimp-worker", defaultPort: 8084) { context in
            try MailchimpConnector(
                settings: MailchimpSettings(context.settings), client: context.httpClient, logger: context.logger)
        }
    }
}
