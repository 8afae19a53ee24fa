import Crypto
import Foundation

/// The accounts, audiences and members behind the Mailchimp fake, plus the knobs tests turn: revoking a
/// credential, failing the next requests, slowing requests down to show the concurrency limit.
public actor MailchimpFakeState {
    /// One Mailchimp account (what an API key or an OAuth token opens).
    public struct Account: Sendable {
        /// The account's id (`acct…`).
        public var id: String
        /// The account's data center (`us6`): the API host and the suffix of its API keys.
        public var dc: String
        /// The account's name, as the API root answers it.
        public var name: String
        /// The owner's email address.
        public var email: String
        /// The account's audiences by id.
        public var lists: [String: Audience] = [:]
        /// Creation order, for stable listing.
        public var listOrder: [String] = []
        var inFlight = 0
        var failures: [Int] = []
    }

    /// An audience with its members, tags (static segments) and groups (interest categories).
    public struct Audience: Sendable {
        /// The audience's (list's) id.
        public var id: String
        /// The audience's name.
        public var name: String
        /// The audience's members by subscriber hash.
        public var members: [String: Member] = [:]
        /// The audience's tags: the id of each tag's static segment by the tag's name.
        public var tags: [String: Int] = [:]
        /// The audience's interest categories, in creation order.
        public var categories: [Category] = []
    }

    /// An interest category: a group title with its interests.
    public struct Category: Sendable {
        /// The category's id.
        public var id: String
        /// The category's title as the merchant named it.
        public var title: String
        /// The category's interests (the groups a member can be added to), in order.
        public var interests: [(id: String, name: String)]
    }

    /// A member of an audience.
    public struct Member: Sendable, Equatable {
        /// The member's email address as it was first sent.
        public var email: String
        /// The member's status (`subscribed`, `unsubscribed`, `cleaned`, `pending`…).
        public var status: String
        /// The member's merge fields (`FNAME`, `LNAME`…).
        public var mergeFields: [String: String]
        /// The names of the member's active tags.
        public var tags: Set<String>
        /// The member's interests: whether the member is in each, by interest id.
        public var interests: [String: Bool]
    }

    /// The 11th simultaneous request of an account is refused with 429.
    public static let concurrencyLimit = 10

    private var accounts: [String: Account] = [:]
    private var apiKeys: [String: String] = [:]
    private var tokens: [String: String] = [:]
    private var clients: [String: String] = [:]
    private var codes: [String: (account: String, client: String, redirectURI: String)] = [:]
    private var nextID = 1000
    /// Added to every API request, so that tests can hold requests open and see the concurrency limit.
    public var latency: Duration = .zero
    /// The account the fake authorize page approves for.
    public var authorizingAccount: String?
    /// The most requests in flight at once any account has seen.
    public private(set) var peakInFlight: [String: Int] = [:]
    /// Every API request each account received (`PUT /lists/…/members/…`), refused ones included: tests count
    /// them to prove an action was sent once.
    private var received: [String: [String]] = [:]

    /// Creates a state without accounts.
    public init() {}

    // MARK: Set-up (tests and the demo executable)

    /// Adds an account and returns its id; the first account added is the one the authorize page approves for.
    @discardableResult
    public func addAccount(dc: String = "us6", name: String = "Demo Store", email: String = "owner@example.com")
        -> String
    {
        let id = "acct\(next())"
        accounts[id] = Account(id: id, dc: dc, name: name, email: email)
        if authorizingAccount == nil { authorizingAccount = id }
        return id
    }

    /// A new API key of the documented form `<32 hex>-<dc>`.
    public func issueAPIKey(account: String) -> String {
        let dc = accounts[account]?.dc ?? "us6"
        let hex = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let key = "\(hex)-\(dc)"
        apiKeys[key] = account
        return key
    }

    /// Registers an OAuth client (an app) with its secret.
    public func registerClient(id: String, secret: String) { clients[id] = secret }

    /// Adds an audience to the account and returns its list id.
    @discardableResult
    public func addAudience(account: String, name: String) -> String {
        let id = String(format: "%010x", next() * 7919)
        accounts[account]?.lists[id] = Audience(id: id, name: name)
        accounts[account]?.listOrder.append(id)
        return id
    }

    /// The merchant deleted the audience in Mailchimp.
    public func removeAudience(account: String, list: String) {
        accounts[account]?.lists[list] = nil
        accounts[account]?.listOrder.removeAll { $0 == list }
    }

    /// Adds a tag to the audience, unless it has one of that name.
    public func addTag(account: String, list: String, name: String) {
        if accounts[account]?.lists[list]?.tags[name] == nil { accounts[account]?.lists[list]?.tags[name] = next() }
    }

    /// Adds an interest category with these interests to the audience; returns the interests' ids by name.
    @discardableResult
    public func addGroup(account: String, list: String, category: String, interests: [String]) -> [String: String] {
        var ids: [String: String] = [:]
        let pairs = interests.map { name -> (id: String, name: String) in
            let id = String(format: "%08x", next() * 104_729)
            ids[name] = id
            return (id, name)
        }
        accounts[account]?.lists[list]?.categories.append(
            Category(id: String(format: "%08x", next()), title: category, interests: pairs))
        return ids
    }

    /// Sets a member directly, e.g. one who unsubscribed earlier.
    public func setMember(account: String, list: String, email: String, status: String) {
        let hash = Self.subscriberHash(email)
        var member =
            accounts[account]?.lists[list]?.members[hash]
            ?? Member(email: email, status: status, mergeFields: [:], tags: [], interests: [:])
        member.status = status
        accounts[account]?.lists[list]?.members[hash] = member
    }

    /// The audience's member with this email (by subscriber hash); nil when there is none.
    public func member(account: String, list: String, email: String) -> Member? {
        accounts[account]?.lists[list]?.members[Self.subscriberHash(email)]
    }

    /// The user removed the app or regenerated the key: every credential of the account stops working.
    public func revokeCredentials(account: String) {
        apiKeys = apiKeys.filter { $0.value != account }
        tokens = tokens.filter { $0.value != account }
    }

    /// The next `count` API requests of the account answer `status` (503, 500, 429…).
    public func failNext(account: String, status: Int, count: Int) {
        accounts[account]?.failures.append(contentsOf: Array(repeating: status, count: count))
    }

    /// Sets `latency`.
    public func setLatency(_ latency: Duration) { self.latency = latency }

    /// The account the authorize page approves for from now on (the merchant signed in as its owner).
    public func setAuthorizingAccount(_ account: String) { authorizingAccount = account }

    /// The OAuth access tokens issued for the account (tests look for them where no credential may be).
    public func accessTokens(account: String) -> [String] { tokens.filter { $0.value == account }.map(\.key) }

    /// The API requests the account received, oldest first, as `METHOD /path` without the data center and `/3.0`.
    public func requests(account: String) -> [String] { received[account] ?? [] }

    // MARK: What the routes use

    /// `subscriber_hash`: lowercase hex MD5 of the trimmed, lowercased email.
    public static func subscriberHash(_ email: String) -> String {
        let normalized = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return Insecure.MD5.hash(data: Array(normalized.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    func account(apiKey: String) -> Account? { apiKeys[apiKey].flatMap { accounts[$0] } }
    func account(token: String) -> Account? { tokens[token].flatMap { accounts[$0] } }

    /// Starts a request; nil when it may proceed, else the status the account's next failure or limit imposes.
    func begin(account id: String, request: String) -> Int? {
        guard var account = accounts[id] else { return 401 }
        received[id, default: []].append(request)
        if !account.failures.isEmpty {
            let status = account.failures.removeFirst()
            accounts[id] = account
            return status
        }
        guard account.inFlight < Self.concurrencyLimit else { return 429 }
        account.inFlight += 1
        accounts[id] = account
        peakInFlight[id] = max(peakInFlight[id] ?? 0, account.inFlight)
        return nil
    }

    func end(account id: String) { accounts[id]?.inFlight -= 1 }

    func read<T: Sendable>(_ id: String, _ body: @Sendable (Account) -> T) -> T? { accounts[id].map(body) }

    func modify<T: Sendable>(_ id: String, _ body: @Sendable (inout Account) -> T) -> T? {
        guard var account = accounts[id] else { return nil }
        let result = body(&account)
        accounts[id] = account
        return result
    }

    func nextTagID() -> Int { next() }

    func authorize(client: String, redirectURI: String) -> String? {
        guard clients[client] != nil, let account = authorizingAccount else { return nil }
        let code = "code\(next())\(Int.random(in: 1000...9999))"
        codes[code] = (account, client, redirectURI)
        return code
    }

    /// Exchanges a code once; nil for an unknown, reused or mismatched code.
    func exchange(code: String, client: String, secret: String, redirectURI: String) -> String? {
        guard clients[client] == secret, let grant = codes.removeValue(forKey: code), grant.client == client,
            grant.redirectURI == redirectURI
        else { return nil }
        let token = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        tokens[token] = grant.account
        return token
    }

    private func next() -> Int {
        nextID += 1
        return nextID
    }
}
