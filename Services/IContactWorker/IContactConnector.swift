import AsyncHTTPClient
import Connectors
import Logging
import Messages

/// iContact API 2.2 (`shared/vendors/icontact.md`): connected with an app ID, a username and an app password, which
/// `verify` checks by discovering the account and client folder everything else lives under. Actions subscribe a
/// customer to a list (finding or creating the contact first) and unsubscribe them; `catalog` reads every list.
struct IContactConnector: Connector {
    let descriptor = ConnectorDescriptor.icontact
    let client: IContactClient
    let pageSize: Int
    let logger: Logger
    /// Lists read to resolve lists typed by hand, per account.
    let listDirectory: IContactListDirectory

    init(settings: IContactSettings, client: HTTPClient, logger: Logger) {
        var logger = logger
        logger[metadataKey: "connector"] = "icontact"
        self.client = IContactClient(http: client, apiURL: settings.apiURL, timeout: settings.timeout, logger: logger)
        self.pageSize = settings.pageSize
        self.logger = logger
        self.listDirectory = IContactListDirectory(maximumAge: settings.listCacheTTL)
    }

    func verify(_ credentials: [String: String]) async throws -> ConnectedAccount {
        let login = try IContactLogin(typed: credentials)
        do throws(ConnectorError) {
            let account = try await discover(login)
            logger.debug("iContact credentials verified", metadata: ["account_id": "\(account.accountID)"])
            return ConnectedAccount(credentials: account.stored, account: account.displayName)
        } catch {
            logger.debug("iContact credentials not verified", metadata: ["reason": "\(error.message)"])
            throw error
        }
    }

    /// The first enabled account of the login, then that account's first client folder.
    func discover(_ login: IContactLogin) async throws(ConnectorError) -> IContactAccount {
        var trail = IContactTrail()
        let accounts = try await client.get("/a/", as: IContactAPI.Accounts.self, login: login, trail: &trail)
        guard let account = accounts.accounts.first(where: { $0.enabled.map { $0.value == "1" } ?? true }) else {
            throw ConnectorError(
                .permanent,
                "iContact has no enabled account for the username \(login.username): enable the account, or "
                    + "check that the app ID was registered in it.")
        }
        let accountID = account.accountId.value
        let folders = try await client.get(
            "/a/\(accountID)/c/", as: IContactAPI.ClientFolders.self, login: login, trail: &trail)
        guard let folder = folders.clientfolders.first else {
            throw ConnectorError(
                .permanent, "The iContact account \(accountID) has no client folder to keep lists in.")
        }
        return IContactAccount(login: login, accountID: accountID, clientFolderID: folder.clientFolderId.value)
    }

    func authorizeURL(state: String, redirectURI: String) async throws -> String {
        throw Self.noOAuth
    }

    func exchange(code: String, redirectURI: String) async throws -> ConnectedAccount {
        throw Self.noOAuth
    }

    static let noOAuth = ConnectorError(
        .invalidInput, "iContact connects with an app ID, username and app password, not OAuth.")

    func catalog(credentials: IntegrationCredentials) async throws -> [CatalogItem] {
        do throws(ConnectorError) {
            let account = try IContactAccount(stored: credentials.values)
            var trail = IContactTrail()
            let lists = try await readLists(account, trail: &trail)
            await listDirectory.store(lists, account: account.folderPath)
            return lists.map { CatalogItem(kind: .list, id: $0.id, name: $0.name) }
        } catch {
            logger.debug(
                "iContact lists not read",
                metadata: ["integration_id": "\(credentials.integrationID)", "reason": "\(error.message)"])
            throw error
        }
    }

    /// Every list of the account, page after page (`limit`/`offset`) until `total` are read.
    func readLists(
        _ account: IContactAccount, trail: inout IContactTrail
    ) async throws(ConnectorError) -> [IContactListDirectory.List] {
        var lists: [IContactListDirectory.List] = []
        var seen: Set<String> = []
        var offset = 0
        while true {
            let page = try await client.get(
                account.folderPath + "/lists", query: [("limit", "\(pageSize)"), ("offset", "\(offset)")],
                as: IContactAPI.Lists.self, login: account.login, trail: &trail)
            // A list created or deleted between two pages shifts the offsets: never keep one twice.
            for list in page.lists where seen.insert(list.listId.value).inserted {
                lists.append(.init(id: list.listId.value, name: list.name))
            }
            offset += page.lists.count
            // Without a `total`, a short page is the last one.
            let finished = page.total.flatMap { Int($0.value) }.map { offset >= $0 } ?? (page.lists.count < pageSize)
            if page.lists.isEmpty || finished { return lists }
        }
    }
}
