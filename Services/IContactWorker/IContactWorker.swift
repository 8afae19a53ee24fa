import ConnectorKit

/// The iContact connector worker: subscribes customers to iContact lists and unsubscribes them, verifies
/// credentials and refreshes lists for the gateway. Run more processes to share the load.
@main
struct IContactWorker {
    static func main() async throws {
        try await ConnectorWorker.main(processName: "switchyard-icontact-worker", defaultPort: 8085) { context in
            try IContactConnector(
                settings: IContactSettings(context.settings), client: context.httpClient, logger: context.logger)
        }
    }
}
