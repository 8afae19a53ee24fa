/// The Marketing API shapes the worker reads and writes (`shared/vendors/mailchimp.md`), with only the fields it uses.
enum Mailchimp {
    /// `GET /3.0/`: the account a credential opens.
    struct Root: Decodable, Sendable {
        var accountID: String
        var accountName: String?

        enum CodingKeys: String, CodingKey {
            case accountID = "account_id"
            case accountName = "account_name"
        }
    }

    /// An audience (`lists`).
    struct Audience: CollectionItem, Equatable {
        static let collection = "lists"
        var id: String
        var name: String
    }

    /// A static segment: how the API lists an audience's tags.
    struct Segment: CollectionItem {
        static let collection = "segments"
        var id: Int
        var name: String
    }

    /// A group heading (interest category).
    struct InterestCategory: CollectionItem {
        static let collection = "categories"
        var id: String
        var title: String
    }

    /// A group (interest), which a member is in or not.
    struct Interest: CollectionItem, Equatable {
        static let collection = "interests"
        var id: String
        var name: String
    }

    /// The member a PUT or PATCH answers with.
    struct Member: Decodable, Sendable {
        var status: String?
    }

    /// `PUT /lists/{id}/members/{hash}` (create or update) and `PATCH` (update only; `email_address` left out).
    struct MemberChange: Encodable, Sendable {
        var emailAddress: String?
        var statusIfNew: String?
        var status: String?
        var mergeFields: [String: String]?
        var interests: [String: Bool]?

        enum CodingKeys: String, CodingKey {
            case status, interests
            case emailAddress = "email_address"
            case statusIfNew = "status_if_new"
            case mergeFields = "merge_fields"
        }
    }

    /// `POST /lists/{id}/members/{hash}/tags`.
    struct TagChange: Encodable, Sendable {
        struct Tag: Encodable, Sendable {
            var name: String
            var status: String
        }

        var tags: [Tag]
    }

    /// `POST /oauth2/token`.
    struct Token: Decodable, Sendable {
        var accessToken: String

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token"
        }
    }

    /// An OAuth error of the login host (`{"error":"invalid_grant"}`).
    struct OAuthError: Decodable, Sendable {
        var error: String?
    }

    /// `GET /oauth2/metadata`.
    struct Metadata: Decodable, Sendable {
        var dc: String
        var accountName: String?
        var apiEndpoint: String?

        enum CodingKeys: String, CodingKey {
            case dc
            case accountName = "accountname"
            case apiEndpoint = "api_endpoint"
        }
    }
}
