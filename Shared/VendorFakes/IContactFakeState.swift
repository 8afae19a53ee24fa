import Foundation

/// The accounts, lists, contacts and subscriptions behind the iContact fake, plus the knobs tests turn.
public actor IContactFakeState {
    /// The three values the merchant gives the engine.
    public struct Credentials: Sendable, Hashable {
        /// The application id (`API-AppId`).
        public var appID: String
        /// The account's user name (`API-Username`).
        public var username: String
        /// The application password (`API-Password`).
        public var password: String

        /// Creates credentials with every value given.
        public init(appID: String, username: String, password: String) {
            self.appID = appID
            self.username = username
            self.password = password
        }
    }

    /// A contact of an account, as the fake stores it.
    public struct Contact: Sendable, Equatable {
        /// The contact's id, assigned by the fake.
        public var id: String
        /// The contact's email address as it was sent.
        public var email: String
        /// The contact's first name; empty when none was sent.
        public var firstName: String
        /// The contact's last name; empty when none was sent.
        public var lastName: String
    }

    /// A contact's subscription to a list.
    public struct Subscription: Sendable, Equatable {
        /// The list subscribed to.
        public var listID: String
        /// The contact subscribed.
        public var contactID: String
        /// `normal`, `pending` or `unsubscribed`.
        public var status: String
        /// The day the subscription was made (`2026-11-21`).
        public var addDate: String
    }

    struct Account {
        var accountID: String
        var clientFolderID: String
        var lists: [(id: String, name: String)] = []
        var contacts: [String: Contact] = [:]
        var subscriptions: [String: Subscription] = [:]
        var failures: [Int] = []
        var delays: [Duration] = []
        var warnOnCreate: Set<String> = []
    }

    private var accounts: [Credentials: Account] = [:]
    private var nextID = 100_000
    /// iContact sometimes sends ids as numbers: when set, the fake does, so clients must decode both.
    public var numericIDs = false

    /// Creates a state without accounts.
    public init() {}

    /// Adds an account that these credentials open; returns the ids of the account and its client folder.
    @discardableResult
    public func addAccount(_ credentials: Credentials) -> (accountID: String, clientFolderID: String) {
        let account = Account(accountID: "\(next())", clientFolderID: "\(next())")
        accounts[credentials] = account
        return (account.accountID, account.clientFolderID)
    }

    /// Adds a list to the account of these credentials and returns its id.
    @discardableResult
    public func addList(_ credentials: Credentials, name: String) -> String {
        let id = "\(next())"
        accounts[credentials]?.lists.append((id, name))
        return id
    }

    /// The app password was changed or the app registration removed.
    public func revoke(_ credentials: Credentials) { accounts[credentials] = nil }

    /// The next `count` requests of this account answer `status` (503, 500, 429…) with iContact's message for it.
    public func failNext(_ credentials: Credentials, status: Int, count: Int) {
        accounts[credentials]?.failures.append(contentsOf: Array(repeating: status, count: count))
    }

    /// The next `count` requests of this account are answered only after `delay` (iContact can be slow; clients
    /// time out).
    public func delayNext(_ credentials: Credentials, by delay: Duration, count: Int = 1) {
        accounts[credentials]?.delays.append(contentsOf: Array(repeating: delay, count: count))
    }

    /// Creating a contact with this email succeeds with a warning in the 200.
    public func warnOnCreate(_ credentials: Credentials, email: String) {
        accounts[credentials]?.warnOnCreate.insert(email.lowercased())
    }

    /// Sets `numericIDs`.
    public func setNumericIDs(_ value: Bool) { numericIDs = value }

    /// The account's contact with this email, compared case-insensitively; nil when there is none.
    public func contact(_ credentials: Credentials, email: String) -> Contact? {
        accounts[credentials]?.contacts.values.first { $0.email.lowercased() == email.lowercased() }
    }

    /// The subscription of the contact with this email to the list; nil when there is none.
    public func subscription(_ credentials: Credentials, listID: String, email: String) -> Subscription? {
        guard let contact = contact(credentials, email: email) else { return nil }
        return accounts[credentials]?.subscriptions["\(listID)_\(contact.id)"]
    }

    // MARK: What the routes use

    /// nil when the request may proceed, else the status of a queued failure (401 for unknown credentials).
    func begin(_ credentials: Credentials) -> Int? {
        guard var account = accounts[credentials] else { return 401 }
        guard account.failures.isEmpty else {
            let status = account.failures.removeFirst()
            accounts[credentials] = account
            return status
        }
        return nil
    }

    /// How long to wait before answering the next request, when `delayNext` asked for it.
    func takeDelay(_ credentials: Credentials) -> Duration? {
        guard let delay = accounts[credentials]?.delays.first else { return nil }
        accounts[credentials]?.delays.removeFirst()
        return delay
    }

    func read<T: Sendable>(_ credentials: Credentials, _ body: @Sendable (Account) -> T) -> T? {
        accounts[credentials].map(body)
    }

    func modify<T: Sendable>(_ credentials: Credentials, _ body: @Sendable (inout Account, () -> String) -> T) -> T? {
        guard var account = accounts[credentials] else { return nil }
        var counter = nextID
        let result = body(&account) {
            counter += 1
            return "\(counter)"
        }
        nextID = counter
        accounts[credentials] = account
        return result
    }

    private func next() -> Int {
        nextID += 1
        return nextID
    }
}
