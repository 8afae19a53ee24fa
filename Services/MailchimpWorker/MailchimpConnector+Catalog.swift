import Connectors
import Messages

/// Refresh: every audience, and each audience's tags and groups, every page.
extension MailchimpConnector {
    func catalog(credentials: IntegrationCredentials) async throws -> [CatalogItem] {
        let transcript = Transcript()
        do {
            let auth = try storedAuth(credentials)
            let audiences = try await api.audiences(auth, transcript: transcript)
            await directory.audienceCache.store(audiences, for: MailchimpDirectory.key(auth))
            // A few audiences at a time: the account's in-flight limit bounds the requests anyway, and a refresh
            // should leave room for the actions of the same account.
            let window = max(1, settings.maxInFlight / 2)
            var perAudience = [[CatalogItem]](repeating: [], count: audiences.count)
            try await withThrowingTaskGroup(of: (Int, [CatalogItem]).self) { group in
                for (index, audience) in audiences.enumerated() {
                    if index >= window, let (done, items) = try await group.next() { perAudience[done] = items }
                    group.addTask { (index, try await entries(in: audience, auth, transcript: transcript)) }
                }
                for try await (done, items) in group { perAudience[done] = items }
            }
            let items =
                audiences.map { CatalogItem(kind: .list, id: $0.id, name: $0.name) } + perAudience.flatMap { $0 }
            logger.info(
                "read the Mailchimp catalog",
                metadata: [
                    "integration_id": "\(credentials.integrationID)", "entries": "\(items.count)",
                    "audiences": "\(audiences.count)",
                ])
            return items
        } catch {
            logger.info(
                "could not read the Mailchimp catalog",
                metadata: ["integration_id": "\(credentials.integrationID)", "error": "\(Self.failure(error).message)"])
            throw Self.failure(error)
        }
    }

    /// One audience's tags and groups, each with the audience as its parent.
    private func entries(in audience: Mailchimp.Audience, _ auth: MailchimpAuth, transcript: Transcript) async throws
        -> [CatalogItem]
    {
        let tags = try await api.tags(in: audience.id, auth, transcript: transcript)
        let groups = try await api.groups(in: audience.id, auth, transcript: transcript)
        await directory.groupCache.store(groups.map(\.interest), for: MailchimpDirectory.key(auth, list: audience.id))
        return tags.map { CatalogItem(kind: .tag, id: String($0.id), name: $0.name, parentID: audience.id) }
            + groups.map {
                CatalogItem(kind: .group, id: $0.interest.id, name: $0.interest.name, parentID: audience.id)
            }
    }

    /// The integration's stored credentials, or a failure asking to reconnect. Credentials stored without the
    /// account id share their in-flight limit per integration instead.
    func storedAuth(_ credentials: IntegrationCredentials) throws -> MailchimpAuth {
        guard var auth = MailchimpAuth(stored: credentials.values) else {
            throw ConnectorError(
                .needsReconnect,
                "The integration \"\(credentials.label)\" has no usable Mailchimp API key or access token; reconnect it."
            )
        }
        if auth.accountID == nil { auth.accountID = "integration:\(credentials.integrationID)" }
        return auth
    }
}
