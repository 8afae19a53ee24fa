import Foundation

/// How Switchyard signs in to one Mailchimp account: an API key (HTTP Basic) or an OAuth token (Bearer), the
/// account's data center, and the account id that keys the in-flight limit. Built from an integration's stored
/// credentials; never printed (`description` hides the secret).
struct MailchimpAuth: Sendable, CustomStringConvertible {
    enum Secret: Sendable {
        case apiKey(String)
        case accessToken(String)
    }

    var secret: Secret
    var dc: String
    /// The Mailchimp account id (`account_id` of the API root); nil while connecting, before it is known.
    var accountID: String?

    /// The stored credential names. `verify` and `exchange` write them; `init(stored:)` reads them.
    enum Key {
        static let apiKey = "api_key"
        static let accessToken = "access_token"
        static let dc = "dc"
        static let accountID = "account_id"
        static let apiEndpoint = "api_endpoint"
    }

    init(secret: Secret, dc: String, accountID: String?) {
        self.secret = secret
        self.dc = dc
        self.accountID = accountID
    }

    /// Reads stored credentials; nil when they hold neither a usable key nor a token with its data center.
    init?(stored values: [String: String]) {
        if let token = values[Key.accessToken], !token.isEmpty, let dc = values[Key.dc], Self.isDataCenter(dc) {
            self.init(secret: .accessToken(token), dc: dc, accountID: values[Key.accountID])
        } else if let key = values[Key.apiKey], let dc = Self.dataCenter(ofAPIKey: key) {
            self.init(secret: .apiKey(key), dc: dc, accountID: values[Key.accountID])
        } else {
            return nil
        }
    }

    /// The `Authorization` header of an API call.
    var authorization: String {
        switch secret {
        case .apiKey(let key): "Basic " + Data("switchyard:\(key)".utf8).base64EncodedString()
        case .accessToken(let token): "Bearer \(token)"
        }
    }

    var description: String { "Mailchimp account \(accountID ?? "(unverified)") in \(dc)" }

    /// The data center of a key of the documented form `<32 hex>-<dc>`, or nil when the key has another form.
    static func dataCenter(ofAPIKey key: String) -> String? {
        guard let dash = key.lastIndex(of: "-") else { return nil }
        let hex = key[..<dash]
        let dc = String(key[key.index(after: dash)...])
        guard hex.count == 32, hex.allSatisfy(\.isHexDigit), isDataCenter(dc) else { return nil }
        return dc
    }

    /// A data center is a short lowercase name such as `us6`; anything else never goes into a host name.
    static func isDataCenter(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 12
            && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }
}
