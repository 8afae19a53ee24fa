import Foundation
import Logging
import PostgresNIO
import Storage
import Testing

extension Integration {
/// Integration management in the gateway, without connector workers: what the gateway decides by itself (labels,
/// rename, delete, catalog search, OAuth states, rule destinations) and a clear 503 instead of a hang whenever a
/// worker would have to answer. The stack's workers do not consume the queues of its workerless gateway, so the
/// tests that need "no worker" ask that one. App integrations are seeded in the database as a worker's verify
/// would store them.
@Suite struct IntegrationManagementTests {
    let apiKey = "0123456789abcdef0123456789abcdef-us6"

    @Test("GET /v1/connectors describes mailchimp, icontact and webhook, with their fields and parent kinds")
    func connectorDescriptors() async throws {
        let stack = try await TestStack.shared()
        let response = try await API.json("GET", "\(stack.gatewayURL)/v1/connectors")
        #expect(response.status == 200)
        let connectors = response.object["connectors"] as? [[String: Any]] ?? []
        #expect(Set(connectors.compactMap { $0["name"] as? String }) == ["mailchimp", "icontact", "webhook"])
        let mailchimp = try #require(connectors.first { $0["name"] as? String == "mailchimp" })
        #expect(mailchimp["auth"] as? String == "oauth2")
        let actions = mailchimp["actions"] as? [[String: Any]] ?? []
        #expect(actions.first { $0["name"] as? String == "add_tag" }?["parent_kind"] as? String == "list")
        #expect(actions.first { $0["name"] as? String == "add_to_list" }?["parent_kind"] == nil)
        let icontact = try #require(connectors.first { $0["name"] as? String == "icontact" })
        let fields = icontact["credential_fields"] as? [[String: Any]] ?? []
        #expect(fields.map { $0["name"] as? String } == ["app_id", "username", "app_password"])
        #expect(fields.allSatisfy { $0["required"] as? Bool == true })
    }

    @Test("with no worker running, every question to one answers 503 within the timeout and changes nothing")
    func missingWorkerAnswers503() async throws {
        let stack = try await TestStack.shared()
        let (marketplaceID, key) = try await stack.createMarketplace()
        let url = "\(stack.workerlessGatewayURL)/v1/integrations"

        let (created, elapsed) = try await timed {
            try await API.json(
                "POST", url, token: key,
                body: ["connector": "mailchimp", "label": "Main", "credentials": ["api_key": apiKey]])
        }
        #expect(created.status == 503, "\(created.text)")
        #expect(created.errorCode == "connector_unavailable")
        #expect(created.errorMessage.contains("No mailchimp worker answered within 2 s"), "\(created.text)")
        #expect(created.errorMessage.contains("switchyard-mailchimp-worker"))
        #expect(created.headers.first(name: "retry-after") == "2")
        #expect(elapsed >= .seconds(TestStack.connectorTimeoutSeconds), "it waited for the worker")
        #expect(elapsed < .seconds(TestStack.connectorTimeoutSeconds + 3), "it gave up at the timeout: \(elapsed)")
        #expect(!created.text.contains(apiKey))

        let icontact = try await API.json(
            "POST", url, token: key,
            body: [
                "connector": "icontact", "label": "Lists",
                "credentials": ["app_id": "app", "username": "jane", "app_password": "secret-password"],
            ])
        #expect(icontact.status == 503)
        #expect(icontact.errorMessage.contains("No icontact worker answered"))
        let oauth = try await API.json("POST", url, token: key, body: ["connector": "mailchimp", "label": "OAuth"])
        #expect(oauth.status == 503, "OAuth needs the worker to build the authorize URL: \(oauth.text)")
        let listed = try await API.json("GET", url, token: key)
        #expect((listed.object["integrations"] as? [Any])?.isEmpty == true, "nothing was stored")

        // An existing integration: refresh and new credentials need the worker too; the label stays.
        let id = try await stack.seedIntegration(marketplaceID: marketplaceID, label: "Seeded")
        let refresh = try await API.json("POST", "\(url)/\(id)/refresh", token: key)
        #expect(refresh.status == 503)
        #expect(refresh.errorCode == "connector_unavailable")
        let patched = try await API.json(
            "PATCH", "\(url)/\(id)", token: key, body: ["label": "Changed", "credentials": ["api_key": apiKey]])
        #expect(patched.status == 503)
        let read = try await API.json("GET", "\(url)/\(id)", token: key)
        #expect(read.object["label"] as? String == "Seeded", "a refused change changes nothing")
        #expect(read.object["credentials"] == nil)

        // A webhook has nothing to refresh, and says so at once.
        let hook = try await stack.createWebhookIntegration(key: key, label: "Hook")
        let hookRefresh = try await API.json("POST", "\(url)/\(hook.id)/refresh", token: key)
        #expect(hookRefresh.status == 400)
        #expect(hookRefresh.errorCode == "not_refreshable")

        let log = try String(contentsOf: stack.workerlessGateway.logFile, encoding: .utf8)
        #expect(!log.contains(apiKey), "the gateway's log holds no credential")
        #expect(!log.contains("secret-password"), "the gateway's log holds no credential")
    }

    @Test("labels are 1 to 100 characters, unique per marketplace, and checked before any worker is asked")
    func labelRules() async throws {
        let stack = try await TestStack.shared()
        let (_, key) = try await stack.createMarketplace()
        let url = "\(stack.workerlessGatewayURL)/v1/integrations"
        _ = try await stack.createWebhookIntegration(key: key, label: "Taken")

        // A worker call would take the whole 2 s timeout (no worker answers this gateway): these answer long before.
        let bodies: [[String: Any]] = [
            ["connector": "mailchimp", "label": "Taken", "credentials": ["api_key": apiKey]],
            ["connector": "mailchimp", "label": "  Taken "],
            ["connector": "icontact", "label": "Taken",
             "credentials": ["app_id": "a", "username": "u", "app_password": "p"]],
        ]
        for body in bodies {
            let (response, elapsed) = try await timed { try await API.json("POST", url, token: key, body: body) }
            #expect(response.status == 409, "\(body): \(response.text)")
            #expect(response.errorCode == "label_taken")
            #expect(response.errorField == "label")
            #expect(elapsed < .seconds(1), "\(body) was refused without asking a worker")
        }

        let invalid: [(body: [String: Any], field: String)] = [
            (["connector": "mailchimp", "label": "  "], "label"),
            (["connector": "mailchimp", "label": String(repeating: "x", count: 101)], "label"),
            (["connector": "salesforce", "label": "New"], "connector"),
            (["connector": "icontact", "label": "New", "credentials": ["app_id": "a", "username": "u"]],
             "credentials.app_password"),
            (["connector": "icontact", "label": "New",
              "credentials": ["app_id": "a", "username": "u", "app_password": " "]], "credentials.app_password"),
            (["connector": "mailchimp", "label": "New", "credentials": ["token": "x"]], "credentials.token"),
        ]
        for (body, field) in invalid {
            let response = try await API.json("POST", url, token: key, body: body)
            #expect(response.status == 400, "\(body): \(response.text)")
            #expect(response.errorField == field, "\(body): \(response.text)")
        }

        // Labels are per marketplace.
        let (_, otherKey) = try await stack.createMarketplace("Other")
        _ = try await stack.createWebhookIntegration(key: otherKey, label: "Taken")
    }

    @Test("rename: the new label shows in the API and in the very next log entries; a taken label is refused")
    func rename() async throws {
        let stack = try await TestStack.shared()
        let (_, key) = try await stack.createMarketplace()
        let url = "\(stack.gatewayURL)/v1/integrations"
        let first = try await stack.createWebhookIntegration(key: key, label: "First")
        _ = try await stack.createWebhookIntegration(key: key, label: "Second")
        try await stack.createRule(key: key, integrationID: first.id, path: "/ok/rename-\(UUID().uuidString)")
        #expect(try await labelInLog(stack, key: key) == "First")

        let renamed = try await API.json("PATCH", "\(url)/\(first.id)", token: key, body: ["label": " Renamed "])
        #expect(renamed.status == 200, "\(renamed.text)")
        #expect(renamed.object["label"] as? String == "Renamed")
        #expect(renamed.object["signing_secret"] == nil, "a rename shows no secret")
        #expect(try await API.json("GET", "\(url)/\(first.id)", token: key).object["label"] as? String == "Renamed")
        #expect(try await labelInLog(stack, key: key) == "Renamed", "the matcher uses the new label at once")

        let taken = try await API.json("PATCH", "\(url)/\(first.id)", token: key, body: ["label": "Second"])
        #expect(taken.status == 409)
        #expect(taken.errorCode == "label_taken")
        #expect(try await API.json("PATCH", "\(url)/\(first.id)", token: key, body: ["label": ""]).errorField == "label")
        #expect(try await API.json("PATCH", "\(url)/\(first.id)", token: key, body: [String: Any]()).status == 400)
        #expect(try await API.json("PATCH", "\(url)/\(first.id)", token: key, body: ["label": "Renamed"]).status == 200)
        #expect(try await API.json("GET", "\(url)/\(first.id)", token: key).object["label"] as? String == "Renamed")
        let (_, otherKey) = try await stack.createMarketplace("Other")
        #expect(try await API.json("PATCH", "\(url)/\(first.id)", token: otherKey, body: ["label": "Mine"]).status == 404)
    }

    @Test("new webhook credentials: a new secret, shown once, and a configuration log entry saying reconnected")
    func webhookReconnect() async throws {
        let stack = try await TestStack.shared()
        let (_, key) = try await stack.createMarketplace()
        let hook = try await stack.createWebhookIntegration(key: key, label: "Hook")
        let url = "\(stack.gatewayURL)/v1/integrations/\(hook.id)"
        let rotated = try await API.json("PATCH", url, token: key, body: ["credentials": [String: String]()])
        #expect(rotated.status == 200, "\(rotated.text)")
        let secret = try #require(rotated.object["signing_secret"] as? String)
        #expect(secret.hasPrefix("whsec_") && secret != hook.secret)
        #expect(rotated.object["status"] as? String == "connected")
        let bad = try await API.json("PATCH", url, token: key, body: ["credentials": ["secret": "plain"]])
        #expect(bad.errorField == "credentials.secret")

        let log = try await API.json("GET", "\(stack.logsURL)/v1/config-logs", token: key)
        let entries = log.object["entries"] as? [[String: Any]] ?? []
        #expect(entries.map { $0["kind"] as? String } == ["connected", "connected"])
        #expect((entries.first?["message"] as? String)?.contains("Reconnected") == true, "\(entries)")
        #expect(!log.text.contains(secret))
    }

    @Test("delete: refused while rules use the integration, naming them; cascade deletes them and the matcher stops")
    func deleteWithRules() async throws {
        let stack = try await TestStack.shared()
        let (_, key) = try await stack.createMarketplace()
        let url = "\(stack.gatewayURL)/v1/integrations"
        let hook = try await stack.createWebhookIntegration(key: key, label: "Hook")
        let path = "/ok/delete-\(UUID().uuidString)"
        let purchased = try await stack.createRule(key: key, integrationID: hook.id, path: path)
        let refunded = try await stack.createRule(
            key: key, integrationID: hook.id, trigger: "product.refunded", path: path)
        // The matchers have the rules cached before the delete.
        let before = TestStack.event(type: "product.purchased")
        try await stack.publishAccepted(key: key, before)
        let entries = try await stack.finalEntries(key: key, eventID: try #require(before["id"] as? String), count: 1)
        #expect(entries.first?["status"] as? String == "success")

        let refused = try await API.json("DELETE", "\(url)/\(hook.id)", token: key)
        #expect(refused.status == 409)
        #expect(refused.errorCode == "integration_in_use")
        let error = refused.object["error"] as? [String: Any] ?? [:]
        #expect(error["rule_ids"] as? [String] == [purchased, refunded])
        #expect(refused.errorMessage.contains(purchased) && refused.errorMessage.contains(refunded))
        #expect(try await API.json("GET", "\(url)/\(hook.id)", token: key).status == 200)
        #expect(try await API.json("GET", "\(stack.gatewayURL)/v1/rules/\(purchased)", token: key).status == 200)
        #expect(try await API.json("DELETE", "\(url)/\(hook.id)?cascade=yes", token: key).errorField == "cascade")
        let (_, otherKey) = try await stack.createMarketplace("Other")
        #expect(try await API.json("DELETE", "\(url)/\(hook.id)?cascade=true", token: otherKey).status == 404)

        let deleted = try await API.json("DELETE", "\(url)/\(hook.id)?cascade=true", token: key)
        #expect(deleted.status == 204, "\(deleted.text)")
        #expect(try await API.json("GET", "\(url)/\(hook.id)", token: key).status == 404)
        for rule in [purchased, refunded] {
            #expect(try await API.json("GET", "\(stack.gatewayURL)/v1/rules/\(rule)", token: key).status == 404)
        }
        let after = TestStack.event(type: "product.purchased")
        try await stack.publishAccepted(key: key, after)
        let skipped = try await stack.finalEntries(key: key, eventID: try #require(after["id"] as? String), count: 1)
        #expect(skipped.first?["reason"] as? String == "no rule matches")
        #expect(try await stack.settledCount(path: path) == 1, "only the event before the delete was delivered")
        #expect(try await API.json("DELETE", "\(url)/\(hook.id)", token: key).status == 404)

        let unused = try await stack.createWebhookIntegration(key: key, label: "Unused")
        #expect(try await API.json("DELETE", "\(url)/\(unused.id)", token: key).status == 204)
    }

    @Test("catalog search: case-insensitive prefix, ordered by name, by kind, limited, served by an index")
    func catalogSearch() async throws {
        let stack = try await TestStack.shared()
        let (marketplaceID, key) = try await stack.createMarketplace()
        let id = try await stack.seedIntegration(marketplaceID: marketplaceID, label: "Mailchimp")
        try await stack.withCatalog { catalog in
            try await catalog.upsert(integrationID: id, kind: .list, id: "l1", name: "Newsletter")
            try await catalog.upsert(integrationID: id, kind: .list, id: "l2", name: "VIP customers")
            for (tagID, name) in [("t1", "VIP"), ("t2", "vip-gold"), ("t3", "Visitors"), ("t4", "Buyers"), ("t5", "v%x")] {
                try await catalog.upsert(integrationID: id, kind: .tag, id: tagID, name: name, parentID: "l1")
            }
            try await catalog.upsert(integrationID: id, kind: .group, id: "g1", name: "Vinyl fans", parentID: "l1")
        }
        func names(_ query: String) async throws -> [String] {
            let response = try await API.json("GET", "\(stack.gatewayURL)/v1/integrations/\(id)/catalog?\(query)", token: key)
            #expect(response.status == 200, "\(query): \(response.text)")
            return (response.object["entries"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        }
        #expect(try await names("kind=tag&prefix=vi") == ["VIP", "vip-gold", "Visitors"])
        #expect(try await names("kind=tag&prefix=VIP-") == ["vip-gold"])
        #expect(try await names("prefix=vi") == ["Vinyl fans", "VIP", "VIP customers", "vip-gold", "Visitors"])
        #expect(try await names("kind=tag&prefix=vi&limit=2") == ["VIP", "vip-gold"])
        #expect(try await names("kind=list") == ["Newsletter", "VIP customers"])
        #expect(try await names("kind=tag&prefix=v%25") == ["v%x"], "% is a character, not a wildcard")
        #expect(try await names("kind=tag&prefix=zz").isEmpty)

        let tags = try await API.json("GET", "\(stack.gatewayURL)/v1/integrations/\(id)/catalog?kind=tag&prefix=vip", token: key)
        let first = (tags.object["entries"] as? [[String: Any]])?.first ?? [:]
        #expect(first["kind"] as? String == "tag")
        #expect(first["id"] as? String == "t1")
        #expect(first["parent_id"] as? String == "l1")

        for (query, field) in [("kind=audience", "kind"), ("limit=0", "limit"), ("limit=501", "limit")] {
            let response = try await API.json("GET", "\(stack.gatewayURL)/v1/integrations/\(id)/catalog?\(query)", token: key)
            #expect(response.status == 400)
            #expect(response.errorField == field)
        }
        let (_, otherKey) = try await stack.createMarketplace("Other")
        #expect(try await API.json("GET", "\(stack.gatewayURL)/v1/integrations/\(id)/catalog", token: otherKey).status == 404)

        // The search's predicate and order are an index range scan, not a scan of every entry.
        let plan = try await stack.withDatabase { client, logger in
            try await client.withConnection { connection in
                try await connection.query("SET enable_seqscan = off", logger: logger)
                let rows = try await connection.query(
                    """
                    EXPLAIN SELECT kind, id, name, parent_id FROM catalog_entries
                    WHERE integration_id = \(id) AND kind = 'tag'
                        AND lower(name) COLLATE "C" >= lower(\("VI"))
                        AND lower(name) COLLATE "C" < lower(\("VI")) || \("\u{10FFFF}")
                        AND starts_with(lower(name), lower(\("VI")))
                    ORDER BY lower(name) COLLATE "C", id LIMIT 50
                    """, logger: logger)
                var lines: [String] = []
                for try await line in rows.decode(String.self) { lines.append(line) }
                return lines.joined(separator: "\n")
            }
        }
        #expect(plan.contains("catalog_entries_prefix"), "\(plan)")
        #expect(!plan.contains("Sort"), "the index yields the order: \(plan)")
    }

    @Test("OAuth callback: unknown, used or expired states are refused, no API key needed; a denial is explained")
    func oauthCallback() async throws {
        let stack = try await TestStack.shared()
        let (marketplaceID, key) = try await stack.createMarketplace()
        // The exchange below must find no worker.
        let callback = "\(stack.workerlessGatewayURL)/v1/oauth/callback"

        let unknown = try await API.json("GET", "\(callback)?code=abc&state=never-issued")
        #expect(unknown.status == 400, "no API key is needed to be refused for the state: \(unknown.text)")
        #expect(unknown.errorCode == "invalid_state")
        #expect(unknown.errorField == "state")
        #expect(try await API.json("GET", "\(callback)?code=abc").errorCode == "invalid_state")

        let denied = try await issueState(stack, marketplaceID: marketplaceID, label: "Denied")
        let denial = try await API.json("GET", "\(callback)?error=access_denied&state=\(denied)")
        #expect(denial.status == 400)
        #expect(denial.errorCode == "access_denied")
        #expect(denial.errorMessage.contains("Mailchimp access was not granted"), "\(denial.text)")
        #expect(try await API.json("GET", "\(callback)?code=abc&state=\(denied)").errorCode == "invalid_state",
                "a denial uses the state up")

        // The state is used up when the callback arrives, even if the code cannot be exchanged (no worker).
        let state = try await issueState(stack, marketplaceID: marketplaceID, label: "Via OAuth")
        let (exchange, elapsed) = try await timed { try await API.json("GET", "\(callback)?code=abc&state=\(state)") }
        #expect(exchange.status == 503, "\(exchange.text)")
        #expect(exchange.errorMessage.contains("No mailchimp worker answered"))
        #expect(elapsed >= .seconds(TestStack.connectorTimeoutSeconds))
        let reused = try await API.json("GET", "\(callback)?code=abc&state=\(state)")
        #expect(reused.status == 400)
        #expect(reused.errorCode == "invalid_state")
        #expect(reused.errorMessage.contains("already used"))

        let expired = try await issueState(stack, marketplaceID: marketplaceID, label: "Late", ttl: .milliseconds(1))
        try await Task.sleep(for: .milliseconds(50))
        let late = try await API.json("GET", "\(callback)?code=abc&state=\(expired)")
        #expect(late.status == 400)
        #expect(late.errorCode == "invalid_state")
        #expect(late.errorMessage.contains("expired"), "\(late.text)")

        let listed = try await API.json("GET", "\(stack.gatewayURL)/v1/integrations", token: key)
        #expect((listed.object["integrations"] as? [Any])?.isEmpty == true)
    }

    @Test("a tag or group destination needs its audience: destination.parent_id, given or filled from the catalog")
    func parentID() async throws {
        let stack = try await TestStack.shared()
        let (marketplaceID, key) = try await stack.createMarketplace()
        let id = try await stack.seedIntegration(marketplaceID: marketplaceID, label: "Mailchimp")
        try await stack.withCatalog { catalog in
            try await catalog.upsert(integrationID: id, kind: .list, id: "l1", name: "Newsletter")
            try await catalog.upsert(integrationID: id, kind: .tag, id: "t1", name: "VIP", parentID: "l1")
            try await catalog.upsert(integrationID: id, kind: .tag, id: "t9", name: "VIP", parentID: "l2")
            try await catalog.upsert(integrationID: id, kind: .tag, id: "t2", name: "Gold", parentID: "l1")
        }
        func post(_ action: String, _ destination: [String: Any]) async throws -> API.Response {
            try await stack.postRule(
                key: key,
                ["scope": "global", "trigger": "product.purchased", "integration_id": id, "action": action,
                 "destination": destination])
        }
        func destination(_ response: API.Response) -> [String: Any] {
            response.object["destination"] as? [String: Any] ?? [:]
        }

        let missing = try await post("add_tag", ["kind": "tag", "name": "Typed"])
        #expect(missing.status == 400)
        #expect(missing.errorField == "destination.parent_id")
        #expect(try await post("add_to_group", ["kind": "group", "name": "Typed"]).errorField == "destination.parent_id")

        let typed = try await post("add_tag", ["kind": "tag", "name": "Typed", "parent_id": "l1"])
        #expect(typed.status == 201, "\(typed.text)")
        #expect(destination(typed)["parent_id"] as? String == "l1")
        #expect(destination(typed)["from_catalog"] as? Bool == false)

        let picked = try await post("add_tag", ["kind": "tag", "name": "Gold"])
        #expect(picked.status == 201, "\(picked.text)")
        #expect(destination(picked)["id"] as? String == "t2")
        #expect(destination(picked)["parent_id"] as? String == "l1", "filled from the catalog")
        #expect(destination(picked)["from_catalog"] as? Bool == true)

        // "VIP" is a tag of two audiences: the name alone does not say which.
        let ambiguous = try await post("add_tag", ["kind": "tag", "name": "VIP"])
        #expect(ambiguous.status == 400)
        #expect(ambiguous.errorField == "destination.parent_id")
        let second = try await post("add_tag", ["kind": "tag", "name": "VIP", "parent_id": "l2"])
        #expect(destination(second)["id"] as? String == "t9")
        #expect(destination(second)["from_catalog"] as? Bool == true)
        let byID = try await post("remove_tag", ["kind": "tag", "id": "t1", "name": "VIP"])
        #expect(destination(byID)["parent_id"] as? String == "l1")

        let list = try await post("add_to_list", ["kind": "list", "name": "Newsletter"])
        #expect(list.status == 201)
        #expect(destination(list)["id"] as? String == "l1")
        #expect(destination(list)["parent_id"] == nil)
        let listWithParent = try await post("add_to_list", ["kind": "list", "name": "Newsletter", "parent_id": "l1"])
        #expect(listWithParent.errorField == "destination.parent_id")

        // A change that leaves the destination alone keeps its parent.
        let ruleID = try #require(typed.object["id"] as? String)
        let disabled = try await stack.patchRule(key: key, id: ruleID, ["enabled": false])
        #expect(disabled.status == 200)
        #expect(destination(disabled)["parent_id"] as? String == "l1")
    }

    // MARK: helpers

    private func timed<T>(_ body: () async throws -> T) async throws -> (T, Duration) {
        let start = ContinuousClock.now
        let result = try await body()
        return (result, ContinuousClock.now - start)
    }

    /// The integration label the log shows for a fresh event (the marketplace has one webhook rule).
    private func labelInLog(_ stack: TestStack, key: String) async throws -> String? {
        let event = TestStack.event(type: "product.purchased")
        try await stack.publishAccepted(key: key, event)
        let entries = try await stack.finalEntries(key: key, eventID: try #require(event["id"] as? String), count: 1)
        return entries.first?["integration_label"] as? String
    }

    /// An OAuth state as `POST /v1/integrations` issues it (which needs a worker for the authorize URL).
    private func issueState(
        _ stack: TestStack, marketplaceID: String, label: String, ttl: Duration = .seconds(600)
    ) async throws -> String {
        try await stack.withDatabase { client, logger in
            try await OAuthStateStore(client: client, logger: logger).create(
                marketplaceID: marketplaceID, connector: "mailchimp", label: label, ttl: ttl
            ).state
        }
    }
}
}
