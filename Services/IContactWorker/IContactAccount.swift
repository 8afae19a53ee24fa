import Connectors
import Foundation
import Messages

/// The three values the merchant gives (`shared/vendors/icontact.md`: the engine's app ID, registered in their
/// account, their username and the API app password they chose).
struct IContactLogin: Sendable, Hashable {
    var appID: String
    var username: String
    var appPassword: String

    /// The values typed when connecting; a missing or empty one is a bad request naming the field.
    init(typed values: [String: String]) throws(ConnectorError) {
        func required(_ field: String, _ name: String, trim: Bool = true) throws(ConnectorError) -> String {
            let raw = values[field] ?? ""
            // A pasted app ID or username often carries a stray space; a password is taken exactly as given.
            let value = trim ? raw.trimmingCharacters(in: .whitespacesAndNewlines) : raw
            guard !value.isEmpty else {
                throw ConnectorError(.invalidInput, "\(field) is required: the \(name).")
            }
            return value
        }
        appID = try required("app_id", "App ID registered in the iContact account")
        username = try required("username", "iContact username")
        appPassword = try required("app_password", "API app password chosen when registering the app", trim: false)
    }

    init(appID: String, username: String, appPassword: String) {
        self.appID = appID
        self.username = username
        self.appPassword = appPassword
    }

    /// The six headers iContact wants on every request.
    var headers: [(String, String)] {
        [
            ("Accept", "application/json"), ("Content-Type", "application/json"), ("API-Version", "2.2"),
            ("API-AppId", appID), ("API-Username", username), ("API-Password", appPassword),
        ]
    }
}

/// A connected iContact account: the login plus the account and client folder discovery found, under which every
/// list, contact and subscription lives. This is what an integration stores.
struct IContactAccount: Sendable, Hashable {
    var login: IContactLogin
    var accountID: String
    var clientFolderID: String

    init(login: IContactLogin, accountID: String, clientFolderID: String) {
        self.login = login
        self.accountID = accountID
        self.clientFolderID = clientFolderID
    }

    /// Reads stored credentials. Values discovery stores are only missing when the integration was saved some
    /// other way; connecting again fills them in, hence a reconnect.
    init(stored values: [String: String]) throws(ConnectorError) {
        func value(_ field: String) throws(ConnectorError) -> String {
            guard let value = values[field], !value.isEmpty else {
                throw ConnectorError(
                    .needsReconnect,
                    "The integration's stored iContact credentials have no \(field); connect it again.")
            }
            return value
        }
        login = IContactLogin(
            appID: try value("app_id"), username: try value("username"), appPassword: try value("app_password"))
        accountID = try value("account_id")
        clientFolderID = try value("client_folder_id")
    }

    /// What the integration stores (`IntegrationCredentials.values`).
    var stored: [String: String] {
        [
            "app_id": login.appID, "username": login.username, "app_password": login.appPassword,
            "account_id": accountID, "client_folder_id": clientFolderID,
        ]
    }

    /// The path under which lists, contacts and subscriptions live, relative to the API root.
    var folderPath: String { "/a/\(accountID)/c/\(clientFolderID)" }

    /// How the integration shows the account.
    var displayName: String { "iContact account \(accountID)" }
}
