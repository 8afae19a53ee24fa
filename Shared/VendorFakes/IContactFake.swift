import Foundation
import Hummingbird

/// A local stand-in for the iContact API 2.2 (`shared/vendors/icontact.md`): the six headers checked, account
/// and client-folder discovery, array bodies for contacts and subscriptions, `{"errors":[…]}` failures and
/// `{"warnings":[…]}` inside a 200. Point the connector's base URL (`https://app.icontact.com/icp`) at
/// `http://host:port/icp`.
public struct IContactFake: Sendable {
    /// The accounts and knobs behind the fake; tests set it up and inspect it.
    public let state: IContactFakeState

    /// Creates a fake over `state`, a fresh, empty one by default.
    public init(state: IContactFakeState = IContactFakeState()) {
        self.state = state
    }

    /// The routes of the fake API under `/icp/a`, to serve with Hummingbird.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let api = router.group("/icp/a")
        api.get("/") { request, _ in
            try await authorized(request) { account, numeric in
                FakeHTTP.json(
                    .ok,
                    ["accounts": [["accountId": Self.id(account.accountID, numeric), "enabled": 1, "accountType": 1]]])
            }
        }
        api.get("/:account/c/") { request, context in
            try await folder(request, context, checkFolder: false) { account, numeric in
                FakeHTTP.json(
                    .ok,
                    [
                        "clientfolders": [
                            ["clientFolderId": Self.id(account.clientFolderID, numeric), "logoId": NSNull()]
                        ]
                    ])
            }
        }
        api.get("/:account/c/:folder/lists") { request, context in
            try await folder(request, context) { account, numeric in
                let limit = Int(request.uri.queryParameters.get("limit") ?? "") ?? 20
                let offset = Int(request.uri.queryParameters.get("offset") ?? "") ?? 0
                let lists = account.lists.dropFirst(offset).prefix(limit).map { list -> [String: Any] in
                    [
                        "listId": Self.id(list.id, numeric), "name": list.name, "publicName": list.name,
                        "description": "",
                    ]
                }
                return FakeHTTP.json(.ok, ["lists": Array(lists), "total": account.lists.count])
            }
        }
        api.get("/:account/c/:folder/contacts") { request, context in
            try await folder(request, context) { account, numeric in
                let email = request.uri.queryParameters.get("email")?.lowercased()
                let found = account.contacts.values.filter { email == nil || $0.email.lowercased() == email }
                    .sorted { $0.id < $1.id }.map { Self.contactJSON($0, numeric) }
                return FakeHTTP.json(.ok, ["contacts": found, "total": found.count])
            }
        }
        api.post("/:account/c/:folder/contacts") { request, context in
            let body = await FakeHTTP.body(request)
            let credentials = Self.credentials(request)
            return try await folder(request, context) { _, numeric in
                guard let items = body as? [[String: Any]] else {
                    return Self.errors(.badRequest, ["The request body must be a JSON array of contacts."])
                }
                if items.contains(where: { $0["contactId"] != nil }) {
                    return Self.errors(.badRequest, ["contactId must not be given when creating contacts."])
                }
                guard items.allSatisfy({ ($0["email"] as? String)?.contains("@") == true }) else {
                    return Self.errors(.badRequest, ["Each contact needs a valid email."])
                }
                guard let credentials else { return Self.errors(.unauthorized, ["Authorization failed."]) }
                let wanted = items.map { item in
                    (
                        email: item["email"] as? String ?? "", firstName: item["firstName"] as? String ?? "",
                        lastName: item["lastName"] as? String ?? ""
                    )
                }
                let result = await state.modify(credentials) {
                    account, newID -> ([IContactFakeState.Contact], [String]) in
                    var created: [IContactFakeState.Contact] = []
                    var warnings: [String] = []
                    for item in wanted {
                        if let existing = account.contacts.values.first(where: {
                            $0.email.lowercased() == item.email.lowercased()
                        }) {
                            created.append(existing)
                            warnings.append(
                                "A contact with the email \(item.email) already exists; it was not created again.")
                            continue
                        }
                        let contact = IContactFakeState.Contact(
                            id: newID(), email: item.email, firstName: item.firstName, lastName: item.lastName)
                        account.contacts[contact.id] = contact
                        created.append(contact)
                        if account.warnOnCreate.contains(item.email.lowercased()) {
                            warnings.append("The email domain of \(item.email) could not be verified.")
                        }
                    }
                    return (created, warnings)
                }
                guard let (created, warnings) = result else {
                    return Self.errors(.unauthorized, ["Authorization failed."])
                }
                var answer: [String: Any] = ["contacts": created.map { Self.contactJSON($0, numeric) }]
                if !warnings.isEmpty { answer["warnings"] = warnings }
                return FakeHTTP.json(.ok, answer)
            }
        }
        api.post("/:account/c/:folder/subscriptions") { request, context in
            let body = await FakeHTTP.body(request)
            let credentials = Self.credentials(request)
            return try await folder(request, context) { _, numeric in
                guard let items = body as? [[String: Any]] else {
                    return Self.errors(.badRequest, ["The request body must be a JSON array of subscriptions."])
                }
                guard let credentials else { return Self.errors(.unauthorized, ["Authorization failed."]) }
                let wanted = items.map { item in
                    (
                        contactID: Self.string(item["contactId"]), listID: Self.string(item["listId"]),
                        status: item["status"] as? String ?? "normal"
                    )
                }
                let result = await state.modify(credentials) {
                    account, _ -> ([IContactFakeState.Subscription], [String]) in
                    var made: [IContactFakeState.Subscription] = []
                    var warnings: [String] = []
                    for item in wanted {
                        guard let contactID = item.contactID, account.contacts[contactID] != nil else {
                            warnings.append("Contact \(item.contactID ?? "?") does not exist.")
                            continue
                        }
                        guard let listID = item.listID, account.lists.contains(where: { $0.id == listID }) else {
                            warnings.append("List \(item.listID ?? "?") does not exist.")
                            continue
                        }
                        guard ["normal", "pending", "unsubscribed"].contains(item.status) else {
                            warnings.append("Status \(item.status) is not valid.")
                            continue
                        }
                        let subscription = IContactFakeState.Subscription(
                            listID: listID, contactID: contactID, status: item.status, addDate: Self.today())
                        account.subscriptions["\(listID)_\(contactID)"] = subscription
                        made.append(subscription)
                    }
                    return (made, warnings)
                }
                guard let (made, warnings) = result else {
                    return Self.errors(.unauthorized, ["Authorization failed."])
                }
                var answer: [String: Any] = ["subscriptions": made.map { Self.subscriptionJSON($0, numeric) }]
                if !warnings.isEmpty { answer["warnings"] = warnings }
                return FakeHTTP.json(.ok, answer)
            }
        }
        api.post("/:account/c/:folder/subscriptions/:subscription") { request, context in
            let body = await FakeHTTP.body(request) as? [String: Any]
            let credentials = Self.credentials(request)
            let key = try context.parameters.require("subscription")
            return try await folder(request, context) { _, numeric in
                guard let status = body?["status"] as? String, ["normal", "pending", "unsubscribed"].contains(status)
                else {
                    return Self.errors(.badRequest, ["A valid status is required."])
                }
                guard let credentials else { return Self.errors(.unauthorized, ["Authorization failed."]) }
                let updated = await state.modify(credentials) { account, _ -> IContactFakeState.Subscription? in
                    guard var subscription = account.subscriptions[key] else { return nil }
                    subscription.status = status
                    account.subscriptions[key] = subscription
                    return subscription
                }
                guard let subscription = updated ?? nil else {
                    return Self.errors(.notFound, ["Subscription \(key) was not found."])
                }
                return FakeHTTP.json(.ok, ["subscription": Self.subscriptionJSON(subscription, numeric)])
            }
        }
        return router
    }

    // MARK: Headers, accounts, errors

    static func credentials(_ request: Request) -> IContactFakeState.Credentials? {
        func header(_ name: String) -> String? { Self.header(request, name) }
        guard let app = header("API-AppId"), let user = header("API-Username"), let password = header("API-Password")
        else {
            return nil
        }
        return .init(appID: app, username: user, password: password)
    }

    private func authorized(
        _ request: Request, _ body: (IContactFakeState.Account, Bool) async throws -> Response
    ) async throws -> Response {
        func header(_ name: String) -> String? { Self.header(request, name) }
        guard header("API-Version") == "2.2" else { return Self.errors(.badRequest, ["API-Version 2.2 is required."]) }
        guard header("Accept")?.contains("application/json") == true else {
            return Self.errors(.notAcceptable, ["Accept: application/json is required."])
        }
        guard let credentials = Self.credentials(request) else {
            return Self.errors(
                .unauthorized, ["Authorization failed: API-AppId, API-Username and API-Password are required."])
        }
        if let delay = await state.takeDelay(credentials) { try await Task.sleep(for: delay) }
        if let status = await state.begin(credentials) {
            return Self.errors(.init(code: status), [Self.failureMessage(status)])
        }
        guard let account = await state.read(credentials, { $0 }) else {
            return Self.errors(.unauthorized, ["Authorization failed."])
        }
        return try await body(account, await state.numericIDs)
    }

    private func folder(
        _ request: Request, _ context: BasicRequestContext, checkFolder: Bool = true,
        _ body: (IContactFakeState.Account, Bool) async throws -> Response
    ) async throws -> Response {
        let accountID = try context.parameters.require("account")
        let folderID = checkFolder ? try context.parameters.require("folder") : nil
        return try await authorized(request) { account, numeric in
            guard account.accountID == accountID else {
                return Self.errors(.forbidden, ["You do not have access to account \(accountID)."])
            }
            if let folderID, folderID != account.clientFolderID {
                return Self.errors(.notFound, ["Client folder \(folderID) was not found."])
            }
            return try await body(account, numeric)
        }
    }

    /// A request header by name, case-insensitively.
    static func header(_ request: Request, _ name: String) -> String? {
        request.headers.first { $0.name.canonicalName == name.lowercased() }?.value
    }

    /// What iContact says with each documented failure status (`shared/vendors/icontact.md`, Errors and limits).
    static func failureMessage(_ status: Int) -> String {
        switch status {
        case 400: "The request was invalid."
        case 401: "Authorization failed: the app is not enabled for this account or the password is wrong."
        case 402: "Payment required: this account must be paid up to use the API."
        case 403: "Forbidden: you do not have access to this resource."
        case 404: "The requested resource was not found."
        case 429: "Too many requests: the API call limit for this account was exceeded."
        case 500..<600 where status != 503: "An internal error occurred."
        default: "The service is temporarily unavailable."
        }
    }

    static func errors(_ status: HTTPResponse.Status, _ messages: [String]) -> Response {
        FakeHTTP.json(status, ["errors": messages])
    }

    static func id(_ value: String, _ numeric: Bool) -> Any { numeric ? (Int(value) ?? 0) as Any : value as Any }

    static func string(_ value: Any?) -> String? {
        if let text = value as? String { return text }
        if let number = value as? Int { return String(number) }
        return nil
    }

    static func contactJSON(_ contact: IContactFakeState.Contact, _ numeric: Bool) -> [String: Any] {
        [
            "contactId": id(contact.id, numeric), "email": contact.email, "firstName": contact.firstName,
            "lastName": contact.lastName, "status": "normal",
        ]
    }

    static func subscriptionJSON(_ subscription: IContactFakeState.Subscription, _ numeric: Bool) -> [String: Any] {
        [
            "subscriptionId": "\(subscription.listID)_\(subscription.contactID)",
            "contactId": id(subscription.contactID, numeric),
            "listId": id(subscription.listID, numeric), "status": subscription.status, "addDate": subscription.addDate,
        ]
    }

    static func today() -> String { Date.ISO8601FormatStyle().year().month().day().format(Date()) }
}
