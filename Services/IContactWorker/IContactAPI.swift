import Foundation

/// The JSON shapes of iContact API 2.2 that the connector reads (`shared/vendors/icontact.md`). Only the fields it
/// uses are declared; iContact adds many more.
enum IContactAPI {
    /// An id or flag that iContact sends as a JSON string or, sometimes, as a number: read as text either way.
    struct Scalar: Decodable, Sendable, Hashable, CustomStringConvertible {
        var value: String
        var description: String { value }

        init(_ value: String) { self.value = value }

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                value = text
            } else if let number = try? container.decode(Int64.self) {
                value = String(number)
            } else if let flag = try? container.decode(Bool.self) {
                value = flag ? "1" : "0"
            } else {
                let number = try container.decode(Double.self)
                value = Int64(exactly: number).map { String($0) } ?? String(number)
            }
        }
    }

    /// `GET /a/`
    struct Accounts: Decodable {
        struct Account: Decodable {
            var accountId: Scalar
            /// 1 when the account may be used; absent on old answers, which list only usable accounts.
            var enabled: Scalar?
        }
        var accounts: [Account]
    }

    /// `GET /a/{accountId}/c/`
    struct ClientFolders: Decodable {
        struct Folder: Decodable {
            var clientFolderId: Scalar
        }
        var clientfolders: [Folder]
    }

    /// `GET lists`
    struct Lists: Decodable {
        struct List: Decodable {
            var listId: Scalar
            var name: String
        }
        var lists: [List]
        var total: Scalar?
    }

    struct Contact: Codable {
        var contactId: Scalar?
        var email: String
        var firstName: String?
        var lastName: String?

        enum CodingKeys: String, CodingKey { case contactId, email, firstName, lastName }

        init(email: String, firstName: String?, lastName: String?) {
            self.email = email
            self.firstName = firstName
            self.lastName = lastName
        }

        /// The body of `POST contacts` never carries `contactId` (iContact would read it as an update).
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(email, forKey: .email)
            try container.encodeIfPresent(firstName, forKey: .firstName)
            try container.encodeIfPresent(lastName, forKey: .lastName)
        }
    }

    /// `GET contacts?email=…` and `POST contacts`.
    struct Contacts: Decodable {
        var contacts: [Contact]
        var warnings: [String]?
    }

    /// One element of the array `POST subscriptions` takes.
    struct NewSubscription: Encodable {
        var contactId: String
        var listId: String
        var status: String
    }

    struct Subscription: Decodable {
        var contactId: Scalar?
        var listId: Scalar?
        var status: String?
    }

    /// `POST subscriptions`.
    struct Subscriptions: Decodable {
        var subscriptions: [Subscription]
        var warnings: [String]?
    }

    /// The body of `POST subscriptions/{listId}_{contactId}`.
    struct StatusChange: Encodable {
        var status: String
    }

    /// The answer to `POST subscriptions/{listId}_{contactId}`.
    struct UpdatedSubscription: Decodable {
        var subscription: Subscription?
        var warnings: [String]?
    }

    /// Any failure: `{"errors":[…]}` (and sometimes warnings beside them).
    struct Problem: Decodable {
        var errors: [String]?
    }

    /// iContact's messages as one text ending in a period, short enough for a log line.
    static func sentences(_ messages: [String]) -> String {
        let text = messages.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            .map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }.joined(separator: "; ")
        let short = text.count > 300 ? text.prefix(300) + "…" : Substring(text)
        return short.isEmpty ? "" : "\(short)."
    }
}
