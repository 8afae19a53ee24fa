import Foundation

/// A question the gateway asks a connector's worker over the broker (request/reply): verify credentials, build
/// an OAuth authorize URL, exchange an OAuth code, or refresh an integration's catalog. Vendor-specific work
/// stays in the worker; the gateway only routes. Sent to `<prefix>.requests.<connector>` with `reply_to` set to
/// the gateway's reply queue and the `correlation_id` equal to `requestID`, and an expiration equal to the
/// gateway's timeout, so a request nobody took in time disappears instead of being answered late.
///
/// Credentials never travel in plain text: `sealedCredentials` is base64 of `CredentialCipher.seal(credentials:)`
/// (every process holds the same key).
public struct ConnectorRequest: Contract, Equatable {
    /// The contract name of a connector request.
    public static let contract = "switchyard.connector.request.v1"

    /// What the gateway asks the worker to do.
    public enum Operation: String, Codable, Sendable {
        /// Check credentials typed by the merchant; reply with what to store and the account's name.
        case verify
        /// Build the app's OAuth authorize URL for `state` and `redirectURI`.
        case authorizeURL = "authorize_url"
        /// Exchange an OAuth `code` (for `redirectURI`) for credentials; reply like `verify`.
        case exchangeCode = "exchange_code"
        /// Re-read the app's lists, tags, groups… into the catalog of `integrationID` (the worker writes it).
        case refresh
    }

    /// The request's id (`req_…`), also its `correlation_id`; the reply carries it back.
    public var requestID: String
    /// What the worker is asked to do.
    public var operation: Operation
    /// The name of the connector that answers (`mailchimp`, `icontact`), which names the request queue.
    public var connector: String
    /// The marketplace the request is made for.
    public var marketplaceID: String
    /// The integration concerned: required by `refresh`; set by `verify` when an integration's credentials change.
    public var integrationID: String?
    /// `verify`: the credentials to check, sealed for transit (see above).
    public var sealedCredentials: String?
    /// `authorizeURL`: the single-use OAuth `state` to put in the authorize URL.
    public var state: String?
    /// `authorizeURL`, `exchangeCode`: the OAuth redirect URI the app sends the merchant back to.
    public var redirectURI: String?
    /// `exchangeCode`: the authorization code the OAuth callback received.
    public var code: String?

    /// Creates a request with every field given; the fields an operation does not use stay nil.
    public init(
        requestID: String, operation: Operation, connector: String, marketplaceID: String, integrationID: String? = nil,
        sealedCredentials: String? = nil, state: String? = nil, redirectURI: String? = nil, code: String? = nil
    ) {
        self.requestID = requestID
        self.operation = operation
        self.connector = connector
        self.marketplaceID = marketplaceID
        self.integrationID = integrationID
        self.sealedCredentials = sealedCredentials
        self.state = state
        self.redirectURI = redirectURI
        self.code = code
    }

    enum CodingKeys: String, CodingKey {
        case operation, connector, state, code
        case requestID = "request_id"
        case marketplaceID = "marketplace_id"
        case integrationID = "integration_id"
        case sealedCredentials = "sealed_credentials"
        case redirectURI = "redirect_uri"
    }
}

/// The worker's answer to a `ConnectorRequest`, published to the request's `reply_to` queue with the same
/// `correlation_id`. Exactly one of `error` or the operation's fields is set.
public struct ConnectorReply: Contract, Equatable {
    /// The contract name of a connector reply.
    public static let contract = "switchyard.connector.reply.v1"

    /// Why a request failed, in the connector's words for the merchant.
    public struct Failure: Codable, Sendable, Equatable, Error {
        /// The kind of failure, which decides what the gateway answers and whether trying again can help.
        public enum Code: String, Codable, Sendable {
            /// The app refused the credentials (or a revoked token): reconnect.
            case invalidCredentials = "invalid_credentials"
            /// The app refused the request for good (payment required, forbidden, bad input…).
            case refused
            /// The app could not be reached or failed; trying again later may work.
            case unavailable
            /// The request itself was wrong (a required credential missing, an unknown integration, no OAuth).
            case badRequest = "bad_request"
        }

        /// The kind of failure.
        public var code: Code
        /// A sentence a merchant understands, e.g. "Mailchimp refused the API key: it is invalid or was revoked."
        public var message: String

        /// Creates a failure of a kind with its sentence for the merchant.
        public init(code: Code, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// The `requestID` of the request this reply answers.
    public var requestID: String
    /// Why the request failed; nil when it succeeded.
    public var error: Failure?
    /// `verify`, `exchangeCode`: what the integration shows as its account ("Demo Store (us6)").
    public var account: String?
    /// `verify`, `exchangeCode`: the credentials to store, normalized by the worker (e.g. with the data center or
    /// the discovered account ids), sealed like the request's.
    public var sealedCredentials: String?
    /// `authorizeURL`: where to send the merchant's browser.
    public var authorizeURL: String?
    /// `refresh`: how many catalog entries of each destination kind were stored (`["list": 12, "tag": 30]`).
    public var catalogCounts: [String: Int]?

    /// Creates a reply with every field given; the fields the operation does not answer stay nil.
    public init(
        requestID: String, error: Failure? = nil, account: String? = nil, sealedCredentials: String? = nil,
        authorizeURL: String? = nil, catalogCounts: [String: Int]? = nil
    ) {
        self.requestID = requestID
        self.error = error
        self.account = account
        self.sealedCredentials = sealedCredentials
        self.authorizeURL = authorizeURL
        self.catalogCounts = catalogCounts
    }

    enum CodingKeys: String, CodingKey {
        case error, account
        case requestID = "request_id"
        case sealedCredentials = "sealed_credentials"
        case authorizeURL = "authorize_url"
        case catalogCounts = "catalog_counts"
    }
}
