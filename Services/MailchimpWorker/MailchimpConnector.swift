import AsyncHTTPClient
import ConnectorKit
import Connectors
import Foundation
import Logging
import Messages

/// Mailchimp audiences, tags and groups (`shared/vendors/mailchimp.md`), connected with OAuth 2 or an API key.
/// The shared worker runtime consumes the actions and requests; this type only talks to Mailchimp.
struct MailchimpConnector: Connector {
    let descriptor = ConnectorDescriptor.mailchimp
    let settings: MailchimpSettings
    let api: MailchimpAPI
    let directory: MailchimpDirectory
    let logger: Logger

    init(settings: MailchimpSettings, client: HTTPClient, logger: Logger) {
        self.settings = settings
        api = MailchimpAPI(client: client, settings: settings)
        directory = MailchimpDirectory(api: api)
        self.logger = logger
    }

    // MARK: Connecting with an API key

    func verify(_ credentials: [String: String]) async throws -> ConnectedAccount {
        let key = (credentials[MailchimpAuth.Key.apiKey] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !key.isEmpty else {
            throw ConnectorError(
                .invalidInput,
                "api_key is required to connect Mailchimp with an API key; leave the credentials out to connect with OAuth instead."
            )
        }
        guard let dc = MailchimpAuth.dataCenter(ofAPIKey: key) else {
            throw ConnectorError(
                .invalidInput,
                "api_key is not a Mailchimp API key: it should be 32 letters and digits (0-9, a-f), a dash and the data center, "
                    + "such as …-us6. Copy it again from Mailchimp (Profile › Extras › API keys).")
        }
        do {
            let root = try await api.root(
                MailchimpAuth(secret: .apiKey(key), dc: dc, accountID: nil), transcript: Transcript())
            logger.info("verified a Mailchimp API key", metadata: ["account_id": "\(root.accountID)", "dc": "\(dc)"])
            return ConnectedAccount(
                credentials: [
                    MailchimpAuth.Key.apiKey: key, MailchimpAuth.Key.dc: dc,
                    MailchimpAuth.Key.accountID: root.accountID,
                ],
                account: "\(root.accountName ?? root.accountID) (\(dc))")
        } catch let error as ConnectorError where error.code == .needsReconnect {
            throw ConnectorError(
                .needsReconnect,
                "Mailchimp refused the API key: it is wrong, was revoked, or belongs to another data center.",
                status: error.status, underlying: error)
        } catch {
            throw Self.failure(error)
        }
    }

    // MARK: Connecting with OAuth 2

    func authorizeURL(state: String, redirectURI: String) async throws -> String {
        let client = try oauthClient()
        return settings.loginURL + "/oauth2/authorize?"
            + MailchimpAPI.formEncoded([
                ("response_type", "code"), ("client_id", client.id), ("redirect_uri", redirectURI), ("state", state),
            ])
    }

    func exchange(code: String, redirectURI: String) async throws -> ConnectedAccount {
        let client = try oauthClient()
        do {
            let token = try await accessToken(code: code, redirectURI: redirectURI, client: client)
            let metadata = try await self.metadata(token: token)
            let auth = MailchimpAuth(secret: .accessToken(token), dc: metadata.dc, accountID: nil)
            let root = try await api.root(auth, transcript: Transcript())
            logger.info(
                "connected a Mailchimp account with OAuth",
                metadata: ["account_id": "\(root.accountID)", "dc": "\(metadata.dc)"])
            var stored = [
                MailchimpAuth.Key.accessToken: token, MailchimpAuth.Key.dc: metadata.dc,
                MailchimpAuth.Key.accountID: root.accountID,
            ]
            stored[MailchimpAuth.Key.apiEndpoint] = metadata.apiEndpoint
            return ConnectedAccount(
                credentials: stored,
                account: "\(metadata.accountName ?? root.accountName ?? root.accountID) (\(metadata.dc))")
        } catch {
            throw Self.failure(error)
        }
    }

    private func oauthClient() throws -> (id: String, secret: String) {
        guard let client = settings.oauthClient else {
            throw ConnectorError(
                .invalidInput,
                "Connecting Mailchimp with OAuth is not set up on this Switchyard installation "
                    + "(SWITCHYARD_MAILCHIMP_CLIENT_ID and SWITCHYARD_MAILCHIMP_CLIENT_SECRET); connect with an API key instead."
            )
        }
        return client
    }

    /// `POST /oauth2/token`: the code for a token that never expires.
    private func accessToken(code: String, redirectURI: String, client: (id: String, secret: String)) async throws
        -> String
    {
        let answer = try await api.login(
            .POST, "/oauth2/token",
            form: [
                ("grant_type", "authorization_code"), ("client_id", client.id), ("client_secret", client.secret),
                ("redirect_uri", redirectURI), ("code", code),
            ])
        switch answer.status {
        case 200..<300:
            let token = try answer.decode(Mailchimp.Token.self).accessToken
            guard !token.isEmpty else {
                throw ConnectorError(.transient, "Mailchimp answered without an access token.")
            }
            return token
        case 400:
            let error = (try? answer.decode(Mailchimp.OAuthError.self))?.error ?? "invalid_request"
            throw ConnectorError(
                .permanent,
                "Mailchimp did not accept the authorization (\(error)): the code was already used, has expired or was issued for "
                    + "another return address. Start connecting again.", status: 400)
        case 401, 403:
            throw ConnectorError(
                .invalidInput,
                "Mailchimp refused Switchyard's OAuth app (HTTP \(answer.status)); the operator must check "
                    + "SWITCHYARD_MAILCHIMP_CLIENT_ID and SWITCHYARD_MAILCHIMP_CLIENT_SECRET.", status: answer.status)
        default:
            throw ConnectorError(
                mailchimp: answer.status, problem: nil, retryAfter: answer.headers.retryAfter, subject: nil)
        }
    }

    /// `GET /oauth2/metadata` (`Authorization: OAuth <token>`): the account's data center and name.
    private func metadata(token: String) async throws -> Mailchimp.Metadata {
        let answer = try await api.login(.GET, "/oauth2/metadata", authorization: "OAuth \(token)")
        guard (200..<300).contains(answer.status) else {
            if answer.status == 401 {
                throw ConnectorError(
                    .needsReconnect,
                    "Mailchimp refused the access token it had just issued; start connecting again.", status: 401)
            }
            throw ConnectorError(
                mailchimp: answer.status, problem: nil, retryAfter: answer.headers.retryAfter, subject: nil)
        }
        let metadata = try answer.decode(Mailchimp.Metadata.self)
        guard MailchimpAuth.isDataCenter(metadata.dc) else {
            throw ConnectorError(.transient, "Mailchimp's account details name an unknown data center.")
        }
        return metadata
    }

    /// Any failure of a request from the gateway as a connector error (an answer that could not be read, too).
    static func failure(_ error: any Error) -> ConnectorError {
        if let error = error as? ConnectorError { return error }
        return ConnectorError(
            .transient, "Mailchimp could not be reached (\(String(describing: error).prefix(120))).", underlying: error)
    }
}
