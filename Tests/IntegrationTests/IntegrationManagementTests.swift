import APIClient
import Foundation
import GatewayAPI
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
            // Asked without a token, as before signing in.
            let anonymous = try gateway(at: stack.gatewayURL, token: nil)
            let connectors = try await anonymous.listConnectors().ok.body.json.connectors
            #expect(Set(connectors.map(\.name)) == ["mailchimp", "icontact", "webhook"])
            let mailchimp = try #require(connectors.first { $0.name == "mailchimp" })
            #expect(mailchimp.auth == .oauth2)
            let actions = mailchimp.actions
            #expect(actions.first { $0.name == "add_tag" }?.parentKind == .list)
            #expect(actions.first { $0.name == "add_to_list" }?.parentKind == nil)
            let icontact = try #require(connectors.first { $0.name == "icontact" })
            let fields = icontact.credentialFields
            #expect(fields.map(\.name) == ["app_id", "username", "app_password"])
            #expect(fields.allSatisfy { $0.required })
        }

        @Test("with no worker running, every question to one answers 503 within the timeout and changes nothing")
        func missingWorkerAnswers503() async throws {
            let stack = try await TestStack.shared()
            let (marketplaceID, key) = try await stack.createMarketplace()
            let gateway = try workerless(stack, token: key)

            let (created, elapsed) = try await timed {
                try await refusal {
                    let keyed = credentials(["api_key": apiKey])
                    return try await gateway.connectIntegration(
                        body: .json(.init(connector: "mailchimp", label: "Main", credentials: keyed))
                    ).created
                }
            }
            #expect(created.status == 503, "\(created)")
            #expect(created.code == "connector_unavailable")
            #expect(created.message.contains("No mailchimp worker answered within 2 s"), "\(created)")
            #expect(created.message.contains("switchyard-mailchimp-worker"))
            #expect(created.retryAfter == "2")
            #expect(elapsed >= .seconds(TestStack.connectorTimeoutSeconds), "it waited for the worker")
            #expect(elapsed < .seconds(TestStack.connectorTimeoutSeconds + 3), "it gave up at the timeout: \(elapsed)")
            #expect(!"\(created)".contains(apiKey))

            let icontact = try await refusal {
                try await gateway.connectIntegration(
                    body: .json(
                        .init(
                            connector: "icontact", label: "Lists",
                            credentials: credentials(
                                ["app_id": "app", "username": "jane", "app_password": "secret-password"])))
                ).created
            }
            #expect(icontact.status == 503)
            #expect(icontact.message.contains("No icontact worker answered"))
            let oauth = try await refusal {
                try await gateway.connectIntegration(body: .json(.init(connector: "mailchimp", label: "OAuth"))).ok
            }
            #expect(oauth.status == 503, "OAuth needs the worker to build the authorize URL: \(oauth)")
            let listed = try await gateway.listIntegrations().ok.body.json.integrations
            #expect(listed.isEmpty, "nothing was stored")

            // An existing integration: refresh and new credentials need the worker too; the label stays.
            let id = try await stack.seedIntegration(marketplaceID: marketplaceID, label: "Seeded")
            let refresh = try await refusal { try await gateway.refreshIntegration(path: .init(id: id)).ok }
            #expect(refresh.status == 503)
            #expect(refresh.code == "connector_unavailable")
            let patched = try await refusal {
                try await gateway.updateIntegration(
                    path: .init(id: id),
                    body: .json(.init(label: "Changed", credentials: credentials(["api_key": apiKey])))
                ).ok
            }
            #expect(patched.status == 503)
            // Read raw: the answer must not carry a `credentials` member, which the contract's model has no room for.
            let read = try await API.raw("GET", "\(stack.workerlessGatewayURL)/v1/integrations/\(id)", token: key)
            #expect(read.status == 200, "\(read.text)")
            #expect(
                try read.decoded(as: Gateway.Integration.self).label == "Seeded", "a refused change changes nothing")
            #expect(try read.decoded(as: JSONValue.self)["credentials"] == nil)

            // A webhook has nothing to refresh, and says so at once.
            let hook = try await stack.createWebhookIntegration(key: key, label: "Hook")
            let hookRefresh = try await refusal { try await gateway.refreshIntegration(path: .init(id: hook.id)).ok }
            #expect(hookRefresh.status == 400)
            #expect(hookRefresh.code == "not_refreshable")

            let log = try String(contentsOf: stack.workerlessGateway.logFile, encoding: .utf8)
            #expect(!log.contains(apiKey), "the gateway's log holds no credential")
            #expect(!log.contains("secret-password"), "the gateway's log holds no credential")
        }

        @Test("labels are 1 to 100 characters, unique per marketplace, and checked before any worker is asked")
        func labelRules() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let gateway = try workerless(stack, token: key)
            _ = try await stack.createWebhookIntegration(key: key, label: "Taken")

            // A worker call would take the whole 2 s timeout (no worker answers this gateway): these answer long before.
            let bodies: [Gateway.ConnectIntegration] = [
                .init(connector: "mailchimp", label: "Taken", credentials: credentials(["api_key": apiKey])),
                .init(connector: "mailchimp", label: "  Taken "),
                .init(
                    connector: "icontact", label: "Taken",
                    credentials: credentials(["app_id": "a", "username": "u", "app_password": "p"])),
            ]
            for body in bodies {
                let (refused, elapsed) = try await timed {
                    try await refusal { try await gateway.connectIntegration(body: .json(body)).created }
                }
                #expect(refused.status == 409, "\(body): \(refused)")
                #expect(refused.code == "label_taken")
                #expect(refused.field == "label")
                #expect(elapsed < .seconds(1), "\(body) was refused without asking a worker")
            }

            let invalid: [(body: Gateway.ConnectIntegration, field: String)] = [
                (.init(connector: "mailchimp", label: "  "), "label"),
                (.init(connector: "mailchimp", label: String(repeating: "x", count: 101)), "label"),
                (.init(connector: "salesforce", label: "New"), "connector"),
                (
                    .init(
                        connector: "icontact", label: "New", credentials: credentials(["app_id": "a", "username": "u"])),
                    "credentials.app_password"
                ),
                (
                    .init(
                        connector: "icontact", label: "New",
                        credentials: credentials(["app_id": "a", "username": "u", "app_password": " "])),
                    "credentials.app_password"
                ),
                (
                    .init(connector: "mailchimp", label: "New", credentials: credentials(["token": "x"])),
                    "credentials.token"
                ),
            ]
            for (body, field) in invalid {
                let refused = try await refusal { try await gateway.connectIntegration(body: .json(body)).created }
                #expect(refused.status == 400, "\(body): \(refused)")
                #expect(refused.field == field, "\(body): \(refused)")
            }

            // Labels are per marketplace.
            let (_, otherKey) = try await stack.createMarketplace("Other")
            _ = try await stack.createWebhookIntegration(key: otherKey, label: "Taken")
        }

        @Test("rename: the new label shows in the API and in the very next log entries; a taken label is refused")
        func rename() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let gateway = try stack.client(key).gateway
            let first = try await stack.createWebhookIntegration(key: key, label: "First")
            _ = try await stack.createWebhookIntegration(key: key, label: "Second")
            try await stack.createRule(key: key, integrationID: first.id, path: "/ok/rename-\(UUID().uuidString)")
            #expect(try await labelInLog(stack, key: key) == "First")

            func change(_ change: Gateway.IntegrationChange, by client: GatewayAPI.Client) async throws
                -> Gateway.Integration
            {
                try await client.updateIntegration(path: .init(id: first.id), body: .json(change)).ok.body.json
            }
            func label() async throws -> String {
                try await gateway.getIntegration(path: .init(id: first.id)).ok.body.json.label
            }
            let renamed = try await change(.init(label: " Renamed "), by: gateway)
            #expect(renamed.label == "Renamed")
            #expect(renamed.signingSecret == nil, "a rename shows no secret")
            #expect(try await label() == "Renamed")
            #expect(try await labelInLog(stack, key: key) == "Renamed", "the matcher uses the new label at once")

            let taken = try await refusal { try await change(.init(label: "Second"), by: gateway) }
            #expect(taken.status == 409)
            #expect(taken.code == "label_taken")
            #expect(try await refusal { try await change(.init(label: ""), by: gateway) }.field == "label")
            #expect(try await refusal { try await change(.init(), by: gateway) }.status == 400)
            #expect(try await change(.init(label: "Renamed"), by: gateway).label == "Renamed")
            #expect(try await label() == "Renamed")
            let (_, otherKey) = try await stack.createMarketplace("Other")
            let other = try stack.client(otherKey).gateway
            #expect(try await refusal { try await change(.init(label: "Mine"), by: other) }.status == 404)
        }

        @Test("new webhook credentials: a new secret, shown once, and a configuration log entry saying reconnected")
        func webhookReconnect() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let gateway = try stack.client(key).gateway
            let hook = try await stack.createWebhookIntegration(key: key, label: "Hook")
            let rotated = try await gateway.updateIntegration(
                path: .init(id: hook.id), body: .json(.init(credentials: .init()))
            ).ok.body.json
            let secret = try #require(rotated.signingSecret)
            #expect(secret.hasPrefix("whsec_") && secret != hook.secret)
            #expect(rotated.status == .connected)
            let bad = try await refusal {
                try await gateway.updateIntegration(
                    path: .init(id: hook.id), body: .json(.init(credentials: credentials(["secret": "plain"])))
                ).ok
            }
            #expect(bad.field == "credentials.secret")

            // Read raw: the secret must be nowhere in the answer's bytes, not only in the fields the contract knows.
            let log = try await API.raw("GET", "\(stack.logsURL)/v1/config-logs", token: key)
            #expect(log.status == 200, "\(log.text)")
            let entries = try log.decoded(as: Logs.ConfigLogPage.self).entries
            #expect(entries.map(\.kind) == [.connected, .connected])
            #expect(entries.first?.message.contains("Reconnected") == true, "\(entries)")
            #expect(!log.text.contains(secret))
        }

        @Test(
            "delete: refused while rules use the integration, naming them; cascade deletes them and the matcher stops")
        func deleteWithRules() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace()
            let gateway = try stack.client(key).gateway
            let url = "\(stack.gatewayURL)/v1/integrations"
            let hook = try await stack.createWebhookIntegration(key: key, label: "Hook")
            let path = "/ok/delete-\(UUID().uuidString)"
            let purchased = try await stack.createRule(key: key, integrationID: hook.id, path: path)
            let refunded = try await stack.createRule(
                key: key, integrationID: hook.id, trigger: .product_refunded, path: path)
            // The matchers have the rules cached before the delete.
            let before = TestStack.event(type: .product_purchased)
            try await stack.publishAccepted(key: key, before)
            let entries = try await stack.finalEntries(key: key, eventID: before.id, count: 1)
            #expect(entries.first?.status == .success)

            let refused = try await refusal { try await gateway.deleteIntegration(path: .init(id: hook.id)).noContent }
            #expect(refused.status == 409)
            #expect(refused.code == "integration_in_use")
            #expect(refused.ruleIDs == [purchased, refunded])
            #expect(refused.message.contains(purchased) && refused.message.contains(refunded))
            #expect(try await gateway.getIntegration(path: .init(id: hook.id)).ok.body.json.id == hook.id)
            #expect(try await gateway.getRule(path: .init(id: purchased)).ok.body.json.id == purchased)
            // Not a boolean: the contract refuses it, so it goes raw.
            #expect(try await API.json("DELETE", "\(url)/\(hook.id)?cascade=yes", token: key).errorField == "cascade")
            let (_, otherKey) = try await stack.createMarketplace("Other")
            let other = try stack.client(otherKey).gateway
            #expect(
                try await refusal {
                    try await other.deleteIntegration(path: .init(id: hook.id), query: .init(cascade: true)).noContent
                }.status == 404)

            _ = try await gateway.deleteIntegration(path: .init(id: hook.id), query: .init(cascade: true)).noContent
            #expect(try await refusal { try await gateway.getIntegration(path: .init(id: hook.id)).ok }.status == 404)
            for rule in [purchased, refunded] {
                #expect(try await refusal { try await gateway.getRule(path: .init(id: rule)).ok }.status == 404)
            }
            let after = TestStack.event(type: .product_purchased)
            try await stack.publishAccepted(key: key, after)
            let skipped = try await stack.finalEntries(key: key, eventID: after.id, count: 1)
            #expect(reason(skipped.first) == "no rule matches")
            #expect(try await stack.settledCount(path: path) == 1, "only the event before the delete was delivered")
            #expect(
                try await refusal { try await gateway.deleteIntegration(path: .init(id: hook.id)).noContent }
                    .status == 404)

            let unused = try await stack.createWebhookIntegration(key: key, label: "Unused")
            _ = try await gateway.deleteIntegration(path: .init(id: unused.id)).noContent
        }

        @Test("catalog search: case-insensitive prefix, ordered by name, by kind, limited, served by an index")
        func catalogSearch() async throws {
            let stack = try await TestStack.shared()
            let (marketplaceID, key) = try await stack.createMarketplace()
            let gateway = try stack.client(key).gateway
            let id = try await stack.seedIntegration(marketplaceID: marketplaceID, label: "Mailchimp")
            try await stack.withCatalog { catalog in
                try await catalog.upsert(integrationID: id, kind: .list, id: "l1", name: "Newsletter")
                try await catalog.upsert(integrationID: id, kind: .list, id: "l2", name: "VIP customers")
                let tags = [("t1", "VIP"), ("t2", "vip-gold"), ("t3", "Visitors"), ("t4", "Buyers"), ("t5", "v%x")]
                for (tagID, name) in tags {
                    try await catalog.upsert(integrationID: id, kind: .tag, id: tagID, name: name, parentID: "l1")
                }
                try await catalog.upsert(integrationID: id, kind: .group, id: "g1", name: "Vinyl fans", parentID: "l1")
            }
            func search(kind: Gateway.DestinationKind? = nil, prefix: String? = nil, limit: Int? = nil)
                async throws -> [Gateway.CatalogEntry]
            {
                try await gateway.searchCatalog(
                    path: .init(id: id), query: .init(kind: kind, prefix: prefix, limit: limit)
                )
                .ok.body.json.entries
            }
            func names(kind: Gateway.DestinationKind? = nil, prefix: String? = nil, limit: Int? = nil)
                async throws -> [String]
            {
                try await search(kind: kind, prefix: prefix, limit: limit).map(\.name)
            }
            #expect(try await names(kind: .tag, prefix: "vi") == ["VIP", "vip-gold", "Visitors"])
            #expect(try await names(kind: .tag, prefix: "VIP-") == ["vip-gold"])
            #expect(try await names(prefix: "vi") == ["Vinyl fans", "VIP", "VIP customers", "vip-gold", "Visitors"])
            #expect(try await names(kind: .tag, prefix: "vi", limit: 2) == ["VIP", "vip-gold"])
            #expect(try await names(kind: .list) == ["Newsletter", "VIP customers"])
            #expect(try await names(kind: .tag, prefix: "v%") == ["v%x"], "% is a character, not a wildcard")
            #expect(try await names(kind: .tag, prefix: "zz").isEmpty)

            let first = try #require(try await search(kind: .tag, prefix: "vip").first)
            #expect(first.kind == .tag)
            #expect(first.id == "t1")
            #expect(first.parentId == "l1")

            // An unknown kind and limits out of range: the contract refuses them, so they go raw.
            for (query, field) in [("kind=audience", "kind"), ("limit=0", "limit"), ("limit=501", "limit")] {
                let response = try await API.json(
                    "GET", "\(stack.gatewayURL)/v1/integrations/\(id)/catalog?\(query)", token: key)
                #expect(response.status == 400)
                #expect(response.errorField == field)
            }
            let (_, otherKey) = try await stack.createMarketplace("Other")
            let other = try stack.client(otherKey).gateway
            #expect(try await refusal { try await other.searchCatalog(path: .init(id: id)).ok }.status == 404)

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
            // The exchange below must find no worker; the callback is called as a browser calls it, without a token.
            let browser = try workerless(stack, token: nil)
            func callback(code: String? = nil, state: String? = nil, error: String? = nil) async throws -> APIRefusal {
                try await refusal {
                    try await browser.finishOAuth(query: .init(code: code, state: state, error: error)).created
                }
            }

            let unknown = try await callback(code: "abc", state: "never-issued")
            #expect(unknown.status == 400, "no API key is needed to be refused for the state: \(unknown)")
            #expect(unknown.code == "invalid_state")
            #expect(unknown.field == "state")
            #expect(try await callback(code: "abc").code == "invalid_state")

            let denied = try await issueState(stack, marketplaceID: marketplaceID, label: "Denied")
            let denial = try await callback(state: denied, error: "access_denied")
            #expect(denial.status == 400)
            #expect(denial.code == "access_denied")
            #expect(denial.message.contains("Mailchimp access was not granted"), "\(denial)")
            #expect(
                try await callback(code: "abc", state: denied).code == "invalid_state", "a denial uses the state up")

            // The state is used up when the callback arrives, even if the code cannot be exchanged (no worker).
            let state = try await issueState(stack, marketplaceID: marketplaceID, label: "Via OAuth")
            let (exchange, elapsed) = try await timed { try await callback(code: "abc", state: state) }
            #expect(exchange.status == 503, "\(exchange)")
            #expect(exchange.message.contains("No mailchimp worker answered"))
            #expect(elapsed >= .seconds(TestStack.connectorTimeoutSeconds))
            let reused = try await callback(code: "abc", state: state)
            #expect(reused.status == 400)
            #expect(reused.code == "invalid_state")
            #expect(reused.message.contains("already used"))

            let expired = try await issueState(
                stack, marketplaceID: marketplaceID, label: "Late", ttl: .milliseconds(1))
            try await Task.sleep(for: .milliseconds(50))
            let late = try await callback(code: "abc", state: expired)
            #expect(late.status == 400)
            #expect(late.code == "invalid_state")
            #expect(late.message.contains("expired"), "\(late)")

            let listed = try await stack.client(key).gateway.listIntegrations().ok.body.json.integrations
            #expect(listed.isEmpty)
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
            let gateway = try stack.client(key).gateway
            func post(_ action: String, _ destination: Gateway.Destination) async throws -> Gateway.Rule {
                let rule = Gateway.RuleInput(
                    scope: .global, trigger: .product_purchased, integrationId: id, action: action,
                    destination: destination)
                return try await gateway.createRule(body: .json(rule)).created.body.json
            }

            let missing = try await refusal { try await post("add_tag", .init(kind: .tag, name: "Typed")) }
            #expect(missing.status == 400)
            #expect(missing.field == "destination.parent_id")
            #expect(
                try await refusal { try await post("add_to_group", .init(kind: .group, name: "Typed")) }.field
                    == "destination.parent_id")

            let typed = try await post("add_tag", .init(kind: .tag, name: "Typed", parentId: "l1"))
            #expect(typed.destination.parentId == "l1")
            #expect(typed.destination.fromCatalog == false)

            let picked = try await post("add_tag", .init(kind: .tag, name: "Gold"))
            #expect(picked.destination.id == "t2")
            #expect(picked.destination.parentId == "l1", "filled from the catalog")
            #expect(picked.destination.fromCatalog == true)

            // "VIP" is a tag of two audiences: the name alone does not say which.
            let ambiguous = try await refusal { try await post("add_tag", .init(kind: .tag, name: "VIP")) }
            #expect(ambiguous.status == 400)
            #expect(ambiguous.field == "destination.parent_id")
            let second = try await post("add_tag", .init(kind: .tag, name: "VIP", parentId: "l2"))
            #expect(second.destination.id == "t9")
            #expect(second.destination.fromCatalog == true)
            let byID = try await post("remove_tag", .init(kind: .tag, id: "t1", name: "VIP"))
            #expect(byID.destination.parentId == "l1")

            let list = try await post("add_to_list", .init(kind: .list, name: "Newsletter"))
            #expect(list.destination.id == "l1")
            #expect(list.destination.parentId == nil)
            let listWithParent = try await refusal {
                try await post("add_to_list", .init(kind: .list, name: "Newsletter", parentId: "l1"))
            }
            #expect(listWithParent.field == "destination.parent_id")

            // A change that leaves the destination alone keeps its parent.
            let disabled = try await stack.changeRule(key: key, id: typed.id, .init(enabled: false))
            #expect(disabled.destination.parentId == "l1")
        }

        // MARK: helpers

        private func timed<T>(_ body: () async throws -> T) async throws -> (T, Duration) {
            let start = ContinuousClock.now
            let result = try await body()
            return (result, ContinuousClock.now - start)
        }

        /// Credentials as the contract carries them.
        private func credentials(_ values: [String: String]) -> Gateway.Credentials {
            .init(additionalProperties: values)
        }

        /// The typed client of the stack's workerless gateway, sending `token` (none: as a browser calls it).
        private func workerless(_ stack: TestStack, token: String?) throws -> GatewayAPI.Client {
            try gateway(at: stack.workerlessGatewayURL, token: token)
        }

        /// The typed client of the gateway at `url`, sending `token` when given.
        private func gateway(at url: String, token: String?) throws -> GatewayAPI.Client {
            guard let serverURL = URL(string: url) else { throw HarnessError("the gateway's URL \(url) is not a URL") }
            return SwitchyardClient.gateway(at: serverURL, token: token)
        }

        /// The integration label the log shows for a fresh event (the marketplace has one webhook rule).
        private func labelInLog(_ stack: TestStack, key: String) async throws -> String? {
            let event = TestStack.event(type: .product_purchased)
            try await stack.publishAccepted(key: key, event)
            let entries = try await stack.finalEntries(key: key, eventID: event.id, count: 1)
            return entries.first?.integrationLabel
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
