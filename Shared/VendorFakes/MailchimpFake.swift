import Foundation
import Hummingbird

/// A local stand-in for the Mailchimp Marketing API v3.0 and its OAuth endpoints, answering as
/// `shared/vendors/mailchimp.md` documents: problem+json errors, `API Key Invalid` for a bad key or wrong data
/// center, the subscriber hash checked, `Member In Compliance State`, the 11th simultaneous request refused, every
/// collection paged with `count` and `offset`, and the API root (`GET /3.0/`) naming the account.
///
/// Paths: the API is served under `/{dc}/3.0/…` (point the connector's base URL template
/// `https://{dc}.api.mailchimp.com` at `http://host:port/{dc}`), the login host under `/login/oauth2/…`.
public struct MailchimpFake: Sendable {
    /// The accounts and knobs behind the fake; tests set it up and inspect it.
    public let state: MailchimpFakeState

    /// Creates a fake over `state`, a fresh, empty one by default.
    public init(state: MailchimpFakeState = MailchimpFakeState()) {
        self.state = state
    }

    /// The routes of the fake API and its OAuth endpoints, to serve with Hummingbird.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        addOAuthRoutes(to: router)
        let api = router.group("/:dc/3.0")
        api.get("/") { request, context in
            try await authorized(request, context) { account in
                FakeHTTP.json(.ok, Self.rootJSON(account))
            }
        }
        api.get("/lists") { request, context in
            try await authorized(request, context) { account in
                let lists = account.listOrder.compactMap { account.lists[$0] }.map {
                    ["id": $0.id, "name": $0.name] as [String: Any]
                }
                return FakeHTTP.json(
                    .ok, ["lists": Self.page(lists, request), "total_items": lists.count, "_links": [Any]()])
            }
        }
        api.put("/lists/:list/members/:hash") { request, context in
            let body = await FakeHTTP.body(request) as? [String: Any]
            return try await authorized(request, context) { account in
                try await upsert(account: account.id, request: request, context: context, body: body)
            }
        }
        api.patch("/lists/:list/members/:hash") { request, context in
            let body = await FakeHTTP.body(request) as? [String: Any]
            return try await authorized(request, context) { account in
                try await update(account: account.id, context: context, body: body)
            }
        }
        api.delete("/lists/:list/members/:hash") { request, context in
            try await authorized(request, context) { account in
                let list = try context.parameters.require("list")
                let hash = try context.parameters.require("hash")
                let found =
                    await state.modify(account.id) { $0.lists[list]?.members.removeValue(forKey: hash) != nil } ?? false
                return found ? FakeHTTP.empty(.noContent) : Self.notFound()
            }
        }
        api.post("/lists/:list/members/:hash/tags") { request, context in
            let body = await FakeHTTP.body(request) as? [String: Any]
            return try await authorized(request, context) { account in
                try await changeTags(account: account.id, context: context, body: body)
            }
        }
        api.get("/lists/:list/tag-search") { request, context in
            try await authorized(request, context) { account in
                let list = try context.parameters.require("list")
                guard let audience = account.lists[list] else { return Self.notFound() }
                let prefix = (request.uri.queryParameters.get("name") ?? "").lowercased()
                let tags = audience.tags.filter { prefix.isEmpty || $0.key.lowercased().hasPrefix(prefix) }
                    .sorted { $0.key < $1.key }.map { ["id": $0.value, "name": $0.key] as [String: Any] }
                return FakeHTTP.json(.ok, ["tags": tags, "total_items": tags.count])
            }
        }
        api.get("/lists/:list/segments") { request, context in
            try await authorized(request, context) { account in
                let list = try context.parameters.require("list")
                guard let audience = account.lists[list] else { return Self.notFound() }
                let all = audience.tags.sorted { $0.key < $1.key }.map { tag -> [String: Any] in
                    let members = audience.members.values.filter { $0.tags.contains(tag.key) }.count
                    return ["id": tag.value, "name": tag.key, "member_count": members, "type": "static"]
                }
                return FakeHTTP.json(.ok, ["segments": Self.page(all, request), "total_items": all.count])
            }
        }
        api.get("/lists/:list/interest-categories") { request, context in
            try await authorized(request, context) { account in
                let list = try context.parameters.require("list")
                guard let audience = account.lists[list] else { return Self.notFound() }
                let categories = audience.categories.map {
                    ["id": $0.id, "title": $0.title, "type": "checkboxes", "list_id": list]
                }
                return FakeHTTP.json(
                    .ok, ["categories": Self.page(categories, request), "total_items": categories.count])
            }
        }
        api.get("/lists/:list/interest-categories/:category/interests") { request, context in
            try await authorized(request, context) { account in
                let list = try context.parameters.require("list")
                let categoryID = try context.parameters.require("category")
                guard let category = account.lists[list]?.categories.first(where: { $0.id == categoryID }) else {
                    return Self.notFound()
                }
                let interests = category.interests.map {
                    ["id": $0.id, "name": $0.name, "category_id": categoryID, "list_id": list]
                }
                return FakeHTTP.json(.ok, ["interests": Self.page(interests, request), "total_items": interests.count])
            }
        }
        return router
    }

    // MARK: Members

    private func upsert(account: String, request: Request, context: BasicRequestContext, body: [String: Any]?)
        async throws -> Response
    {
        let list = try context.parameters.require("list")
        let hash = try context.parameters.require("hash")
        guard let body, let email = body["email_address"] as? String else {
            return Self.invalid(
                "Your request doesn't appear to be valid JSON or is missing email_address.",
                errors: [["field": "email_address", "message": "This value should not be blank."]])
        }
        guard MailchimpFakeState.subscriberHash(email) == hash.lowercased() else {
            return Self.invalid("The subscriber hash in the URL does not match the email address.", errors: [])
        }
        guard Self.looksReal(email) else {
            return Self.invalid("\(email) looks fake or invalid, please enter a real email address.", errors: [])
        }
        let validStatuses = ["subscribed", "unsubscribed", "cleaned", "pending", "transactional"]
        let status = body["status"] as? String
        let statusIfNew = body["status_if_new"] as? String
        for (field, value) in [("status", status), ("status_if_new", statusIfNew)] {
            if let value, !validStatuses.contains(value) {
                return Self.invalid(
                    "Invalid Resource",
                    errors: [["field": field, "message": "Value is not one of the allowed values."]])
            }
        }
        let mergeFields = (body["merge_fields"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
        let interests = (body["interests"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Bool }
        let newTags = (body["tags"] as? [String] ?? [])
        let result: Response? = await state.modify(account) { account -> Response in
            guard var audience = account.lists[list] else { return Self.notFound() }
            if let unknown = Self.unknownInterest(in: interests, of: audience) {
                return Self.invalid("Invalid interest ID: '\(unknown)'.", errors: [])
            }
            var member: MailchimpFakeState.Member
            if let existing = audience.members[hash] {
                member = existing
                if status == "subscribed", ["unsubscribed", "cleaned"].contains(existing.status) {
                    return Self.problem(
                        .badRequest, title: "Member In Compliance State",
                        detail:
                            "\(email) is already a list member in compliance state due to unsubscribe, bounce, or compliance review."
                    )
                }
                if let status { member.status = status }
            } else {
                guard let initial = status ?? statusIfNew else {
                    return Self.invalid(
                        "Invalid Resource",
                        errors: [["field": "status_if_new", "message": "This value should not be blank."]])
                }
                member = MailchimpFakeState.Member(
                    email: email, status: initial, mergeFields: [:], tags: Set(newTags), interests: [:])
                for tag in newTags where audience.tags[tag] == nil { audience.tags[tag] = audience.tags.count + 1 }
            }
            member.mergeFields.merge(mergeFields) { $1 }
            member.interests.merge(interests) { $1 }
            audience.members[hash] = member
            account.lists[list] = audience
            return FakeHTTP.json(.ok, Self.memberJSON(member, list: list))
        }
        return result ?? Self.apiKeyInvalid()
    }

    private func update(account: String, context: BasicRequestContext, body: [String: Any]?) async throws -> Response {
        let list = try context.parameters.require("list")
        let hash = try context.parameters.require("hash")
        let status = body?["status"] as? String
        let interests = (body?["interests"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Bool }
        let result: Response? = await state.modify(account) { account -> Response in
            guard let audience = account.lists[list], var member = audience.members[hash] else {
                return Self.notFound()
            }
            if let unknown = Self.unknownInterest(in: interests, of: audience) {
                return Self.invalid("Invalid interest ID: '\(unknown)'.", errors: [])
            }
            if status == "subscribed", ["unsubscribed", "cleaned"].contains(member.status) {
                return Self.problem(
                    .badRequest, title: "Member In Compliance State",
                    detail:
                        "\(member.email) is already a list member in compliance state due to unsubscribe, bounce, or compliance review."
                )
            }
            if let status { member.status = status }
            member.interests.merge(interests) { $1 }
            account.lists[list]?.members[hash] = member
            return FakeHTTP.json(.ok, Self.memberJSON(member, list: list))
        }
        return result ?? Self.apiKeyInvalid()
    }

    private func changeTags(account: String, context: BasicRequestContext, body: [String: Any]?) async throws
        -> Response
    {
        let list = try context.parameters.require("list")
        let hash = try context.parameters.require("hash")
        guard let tags = body?["tags"] as? [[String: Any]] else {
            return Self.invalid("Invalid Resource", errors: [["field": "tags", "message": "Required field."]])
        }
        var changes: [(name: String, active: Bool)] = []
        for tag in tags {
            guard let name = tag["name"] as? String, let status = tag["status"] as? String,
                ["active", "inactive"].contains(status)
            else {
                return Self.invalid(
                    "Invalid Resource",
                    errors: [["field": "tags", "message": "Each tag needs a name and a status of active or inactive."]])
            }
            changes.append((name, status == "active"))
        }
        let requested = changes
        let result: Response? = await state.modify(account) { account -> Response in
            guard var audience = account.lists[list], var member = audience.members[hash] else {
                return Self.notFound()
            }
            for change in requested {
                if change.active {
                    member.tags.insert(change.name)
                    if audience.tags[change.name] == nil { audience.tags[change.name] = audience.tags.count + 1 }
                } else {
                    member.tags.remove(change.name)
                }
            }
            audience.members[hash] = member
            account.lists[list] = audience
            return FakeHTTP.empty(.noContent)
        }
        return result ?? Self.apiKeyInvalid()
    }

    /// The first interest id the audience does not have: Mailchimp refuses those in a member body.
    static func unknownInterest(in interests: [String: Bool], of audience: MailchimpFakeState.Audience) -> String? {
        let known = Set(audience.categories.flatMap { $0.interests.map(\.id) })
        return interests.keys.sorted().first { !known.contains($0) }
    }

    static func memberJSON(_ member: MailchimpFakeState.Member, list: String) -> [String: Any] {
        [
            "id": MailchimpFakeState.subscriberHash(member.email), "email_address": member.email,
            "status": member.status,
            "merge_fields": member.mergeFields, "interests": member.interests,
            "tags": member.tags.sorted().map { ["name": $0] }, "list_id": list,
        ]
    }

    /// Mailchimp refuses addresses that look fake; this fake refuses the obvious ones.
    static func looksReal(_ email: String) -> Bool {
        let parts = email.split(separator: "@")
        return parts.count == 2 && parts[1].contains(".") && !email.lowercased().hasSuffix("@example.invalid")
    }

    // MARK: Auth and limits

    /// Resolves the credential, checks the data center, applies queued failures and the concurrency limit.
    private func authorized(
        _ request: Request, _ context: BasicRequestContext,
        _ body: (MailchimpFakeState.Account) async throws -> Response
    ) async throws -> Response {
        let dc = try context.parameters.require("dc")
        guard let account = await credentialAccount(request), account.dc == dc else { return Self.apiKeyInvalid() }
        let path = request.uri.path.split(separator: "/").dropFirst(2).joined(separator: "/")
        if let status = await state.begin(account: account.id, request: "\(request.method.rawValue) /\(path)") {
            if status == 429 {
                return Self.problem(
                    .tooManyRequests, title: "Too Many Requests",
                    detail: "You have exceeded the limit of 10 simultaneous connections.")
            }
            if status == 401 { return Self.apiKeyInvalid() }
            return Self.problem(
                .init(code: status), title: "Service Unavailable", detail: "An unexpected internal error has occurred.")
        }
        do {
            let latency = await state.latency
            if latency > .zero { try await Task.sleep(for: latency) }
            let current = await state.read(account.id) { $0 } ?? account
            let response = try await body(current)
            await state.end(account: account.id)
            return response
        } catch {
            await state.end(account: account.id)
            throw error
        }
    }

    private func credentialAccount(_ request: Request) async -> MailchimpFakeState.Account? {
        guard let header = request.headers[.authorization] else { return nil }
        if header.hasPrefix("Basic "), let data = Data(base64Encoded: String(header.dropFirst(6))),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        {
            return await state.account(apiKey: String(text[text.index(after: colon)...]))
        }
        if header.hasPrefix("Bearer ") { return await state.account(token: String(header.dropFirst(7))) }
        return nil
    }

    // MARK: OAuth (login.mailchimp.com)

    /// The fake's stand-in for Mailchimp's sign-in and consent page: Allow or Deny, each back through this endpoint.
    private static func consentPage(query: String) -> Response {
        let escaped = query.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mailchimp (local fake) · Sign in</title>
            <style>body{font-family:system-ui,sans-serif;background:#fff8e6;display:grid;place-items:center;
            min-height:90vh}main{background:#fff;border:1px solid #e5dcc3;border-radius:8px;padding:2rem;max-width:26rem}
            a{display:inline-block;margin:.5rem .5rem 0 0;padding:.5rem 1rem;border-radius:6px;text-decoration:none}
            .allow{background:#241c15;color:#fff}.deny{border:1px solid #241c15;color:#241c15}</style></head>
            <body><main><h1>Mailchimp</h1><p><strong>Local fake</strong> — no real account is involved.</p>
            <p>Switchyard would like to access your Mailchimp account: audiences, tags, groups and members.</p>
            <a class="allow" id="allow" href="?\(escaped)&amp;decision=allow">Allow</a>
            <a class="deny" id="deny" href="?\(escaped)&amp;decision=deny">Deny</a></main></body></html>
            """
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    private func addOAuthRoutes(to router: Router<BasicRequestContext>) {
        let login = router.group("/login/oauth2")
        login.get("/authorize") { request, _ -> Response in
            let query = request.uri.queryParameters
            guard query.get("response_type") == "code", let client = query.get("client_id"),
                let redirect = query.get("redirect_uri"), var components = URLComponents(string: redirect)
            else {
                return FakeHTTP.json(.badRequest, ["error": "invalid_request"])
            }
            // A browser first sees Mailchimp's sign-in and consent page; a program (the tests' HTTP client) is
            // taken to have clicked "Allow".
            let decision = query.get("decision")
            if decision == nil, request.headers[.accept]?.contains("text/html") == true {
                return Self.consentPage(query: request.uri.query ?? "")
            }
            var items = components.queryItems ?? []
            if decision == "deny" {
                items.append(URLQueryItem(name: "error", value: "access_denied"))
                if let stateValue = query.get("state") { items.append(URLQueryItem(name: "state", value: stateValue)) }
                components.queryItems = items
                return Response(status: .found, headers: [.location: components.string ?? redirect])
            }
            guard let code = await state.authorize(client: client, redirectURI: redirect) else {
                return FakeHTTP.json(.badRequest, ["error": "invalid_request"])
            }
            items.append(URLQueryItem(name: "code", value: code))
            if let stateValue = query.get("state") { items.append(URLQueryItem(name: "state", value: stateValue)) }
            components.queryItems = items
            return Response(status: .found, headers: [.location: components.string ?? redirect])
        }
        login.post("/token") { request, _ -> Response in
            let form = await FakeHTTP.form(request)
            guard form["grant_type"] == "authorization_code", let code = form["code"], let client = form["client_id"],
                let secret = form["client_secret"], let redirect = form["redirect_uri"]
            else {
                return FakeHTTP.json(.badRequest, ["error": "invalid_request"])
            }
            guard let token = await state.exchange(code: code, client: client, secret: secret, redirectURI: redirect)
            else {
                return FakeHTTP.json(.badRequest, ["error": "invalid_grant"])
            }
            return FakeHTTP.json(.ok, ["access_token": token, "expires_in": 0, "scope": NSNull()])
        }
        login.get("/metadata") { request, _ -> Response in
            guard let header = request.headers[.authorization], header.hasPrefix("OAuth "),
                let account = await state.account(token: String(header.dropFirst(6)))
            else {
                return FakeHTTP.json(.unauthorized, ["error": "invalid_token"])
            }
            let host = request.head.authority ?? "127.0.0.1"
            return FakeHTTP.json(
                .ok,
                [
                    "dc": account.dc, "role": "owner", "accountname": account.name, "user_id": 42,
                    "login": ["email": account.email, "login_name": account.email, "login_id": 42],
                    "login_url": "https://login.mailchimp.com", "api_endpoint": "http://\(host)/\(account.dc)",
                ])
        }
    }

    // MARK: Collections and the API root

    /// One page of a collection as `count` (default 10, at most 1000) and `offset` select it; every collection
    /// of the API pages this way.
    static func page<Item>(_ items: [Item], _ request: Request) -> [Item] {
        let count = min(max(Int(request.uri.queryParameters.get("count") ?? "") ?? 10, 0), 1000)
        let offset = max(Int(request.uri.queryParameters.get("offset") ?? "") ?? 0, 0)
        return Array(items.dropFirst(offset).prefix(count))
    }

    /// `GET /3.0/` ("API Root"): the account the credential opens.
    static func rootJSON(_ account: MailchimpFakeState.Account) -> [String: Any] {
        let subscribers = account.lists.values.reduce(0) {
            $0 + $1.members.values.filter { $0.status == "subscribed" }.count
        }
        return [
            "account_id": account.id, "login_id": "42", "account_name": account.name, "email": account.email,
            "first_name": "", "last_name": "", "username": account.email, "role": "owner", "pro_enabled": false,
            "pricing_plan_type": "monthly", "account_timezone": "UTC", "total_subscribers": subscribers,
            "contact": ["company": account.name, "country": "US"], "_links": [Any](),
        ]
    }

    // MARK: Errors (problem+json)

    static func problem(_ status: HTTPResponse.Status, title: String, detail: String, errors: [[String: String]]? = nil)
        -> Response
    {
        var body: [String: Any] = [
            "type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": title,
            "status": Int(status.code),
            "detail": detail, "instance": UUID().uuidString.lowercased(),
        ]
        if let errors { body["errors"] = errors }
        return FakeHTTP.json(status, body, contentType: "application/problem+json")
    }

    static func invalid(_ detail: String, errors: [[String: String]]) -> Response {
        problem(.badRequest, title: "Invalid Resource", detail: detail, errors: errors)
    }

    static func notFound() -> Response {
        problem(.notFound, title: "Resource Not Found", detail: "The requested resource could not be found.")
    }

    static func apiKeyInvalid() -> Response {
        problem(
            .unauthorized, title: "API Key Invalid",
            detail: "Your API key may be invalid, or you've attempted to access the wrong datacenter.")
    }
}
