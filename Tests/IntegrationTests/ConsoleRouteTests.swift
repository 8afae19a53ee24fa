import Foundation
import HTTPTypes
import Testing

@testable import Console

/// The console's routes, through the build function the executable uses, against the real gateway and log service
/// of the test stack: sign-in and sessions, CSRF, every page, form validation, and tenancy.
extension Integration {
    @Suite("Console routes", .serialized)
    struct ConsoleRouteTests {
        @Test("signing in: a page asks for sign-in, a wrong key is refused, the session cookie is sealed and HttpOnly")
        func signIn() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace("Console sign-in")
            try await ConsoleVisitor.withConsole(stack) { visitor in
                let anonymous = try await visitor.get("/logs?email=a%40b.c")
                #expect(anonymous.status == .seeOther)
                #expect(anonymous.location == "/sign-in?next=%2Flogs%3Femail%3Da%2540b.c")
                let htmx = try await visitor.get("/integrations", headers: [.htmxRequest: "true"])
                #expect(htmx.headers[.htmxRedirect]?.hasPrefix("/sign-in") == true, "htmx gets a full-page redirect")

                let form = try await visitor.get("/sign-in")
                #expect(form.status == .ok)
                #expect(form.html.contains("name=\"api_key\""))
                #expect(form.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
                let forged = try await visitor.post("/sign-in", [("api_key", key), ("csrf", "forged")])
                #expect(forged.status == .forbidden, "the sign-in form is double-submit protected")
                #expect(visitor.cookies[SessionMiddleware.sessionCookie] == nil)

                _ = try await visitor.get("/sign-in")
                let wrong = try await visitor.post("/sign-in", [("api_key", "sk_wrong")])
                #expect(wrong.status == .unauthorized)
                #expect(wrong.html.contains("That API key is not accepted"))
                #expect(!wrong.html.contains("sk_wrong"), "a typed key is never written back into a page")

                let signedIn = try await visitor.post("/sign-in", [("api_key", key), ("next", "/logs")])
                #expect(signedIn.status == .seeOther)
                #expect(signedIn.location == "/logs")
                let setCookie = signedIn.headers[values: .setCookie].first {
                    $0.hasPrefix(SessionMiddleware.sessionCookie)
                }
                let cookie = try #require(setCookie)
                #expect(cookie.contains("HttpOnly"))
                #expect(cookie.contains("SameSite=Lax"))
                #expect(cookie.contains("Max-Age="))
                #expect(!cookie.contains(key), "the key is sealed, not stored in the clear")

                let page = try await visitor.get("/integrations")
                #expect(page.status == .ok)
                #expect(!page.html.contains(key), "the key never appears in a page")
                #expect(page.html.contains("No integrations yet"), "the empty state says what to do next")

                // A changed cookie opens to nothing.
                let sealed = try #require(visitor.cookies[SessionMiddleware.sessionCookie])
                visitor.cookies[SessionMiddleware.sessionCookie] =
                    String(sealed.dropLast(2)) + (sealed.hasSuffix("AA") ? "BB" : "AA")
                #expect(try await visitor.get("/integrations").status == .seeOther)
                visitor.cookies[SessionMiddleware.sessionCookie] = sealed

                let out = try await visitor.post("/sign-out", [])
                #expect(out.status == .seeOther)
                #expect(visitor.cookies[SessionMiddleware.sessionCookie] == nil)
                #expect(try await visitor.get("/integrations").status == .seeOther)
            }
            #expect(SignInRoutes.safeNext("//evil.example/x") == "/integrations")
            #expect(SignInRoutes.safeNext("https://evil.example") == "/integrations")
            #expect(SignInRoutes.safeNext("/rules?scope=global") == "/rules?scope=global")
        }

        @Test("every page renders for a signed-in merchant, and every changing form needs the session's CSRF token")
        func pagesAndCSRF() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace("Console pages")
            let hook = try await stack.createWebhookIntegration(key: key, label: "Existing hook")
            try await ConsoleVisitor.withConsole(stack) { visitor in
                _ = try await visitor.signIn(key: key)
                let pages = [
                    "/integrations", "/integrations/new", "/integrations/new/mailchimp", "/integrations/new/icontact",
                    "/integrations/new/webhook", "/integrations/\(hook.id)/edit", "/integrations/\(hook.id)/delete",
                    "/rules", "/rules/new", "/rules/new?product_id=prod_a", "/products", "/products/prod_a", "/logs",
                    "/logs?status=failed&since=2026-01-01T00:00", "/config-logs", "/test-event",
                    "/test-event?product_id=prod_a",
                ]
                for path in pages {
                    let page = try await visitor.get(path)
                    #expect(page.status == .ok, "\(path): \(page.status) \(page.html.prefix(300))")
                    #expect(page.html.contains("<main id=\"main\">"), "\(path) is a whole page")
                    #expect(page.html.contains("name=\"csrf\""), "\(path) carries the CSRF token in its forms")
                }
                let icontact = try await visitor.get("/integrations/new/icontact")
                #expect(icontact.html.contains("console-test-app"), "iContact shows the App ID to register")
                #expect(icontact.html.contains("app.icontact.com"), "and where to register it")
                #expect(
                    !icontact.html.contains("name=\"app_id\""), "the App ID is not asked when the installation has one")

                // Without the token nothing changes.
                let forged = try await visitor.post(
                    "/integrations/new/webhook", [("label", "Forged")], withToken: false)
                #expect(forged.status == .forbidden)
                let wrong = try await visitor.post("/integrations/new/webhook", [("label", "Forged"), ("csrf", "x")])
                #expect(wrong.status == .forbidden)
                let deleteForged = try await visitor.post("/integrations/\(hook.id)/delete", [], withToken: false)
                #expect(deleteForged.status == .forbidden)
                let list = try await visitor.get("/integrations")
                #expect(!list.html.contains("Forged"))
                #expect(list.html.contains("Existing hook"))

                // With it, forms validate in the API's words.
                let blank = try await visitor.post("/integrations/new/webhook", [("label", "")])
                #expect(blank.status == .unprocessableContent, "\(blank.html.prefix(200))")
                #expect(blank.html.contains("notice-error"))
                let taken = try await visitor.post("/integrations/new/webhook", [("label", "Existing hook")])
                #expect(taken.status == .unprocessableContent)
                #expect(taken.html.contains("Existing hook"), "the label typed stays in the form")
                let check = try await visitor.get("/integrations/label-check?label=existing%20hook")
                #expect(check.html.contains("choose another name"), "uniqueness is checked as the merchant types")
                let free = try await visitor.get("/integrations/label-check?label=Brand%20new")
                #expect(free.html.contains("is free"))
                let connected = try await visitor.post("/integrations/new/webhook", [("label", "Second hook")])
                #expect(connected.status == .ok)
                #expect(connected.html.contains("whsec_"), "a webhook's signing secret is shown once")

                let noTrigger = try await visitor.post("/rules/new", [("integration_id", hook.id)])
                #expect(noTrigger.status == .badRequest)
                #expect(noTrigger.html.contains("Choose the trigger."))
                let noEmail = try await visitor.post("/test-event", [("trigger", "product.purchased")])
                #expect(noEmail.status == .badRequest)
                let badTime = try await visitor.get("/logs?since=yesterday")
                #expect(badTime.html.contains("From must be a date and time"))
            }
        }

        @Test("another marketplace's integrations, rules and log entries are not found; its data never shows")
        func tenancy() async throws {
            let stack = try await TestStack.shared()
            let (_, mine) = try await stack.createMarketplace("Console tenant A")
            let (_, theirs) = try await stack.createMarketplace("Console tenant B")
            let hook = try await stack.createWebhookIntegration(key: theirs, label: "Their private hook")
            let ruleID = try await stack.createRule(key: theirs, integrationID: hook.id, path: "/theirs")
            try await ConsoleVisitor.withConsole(stack) { visitor in
                _ = try await visitor.signIn(key: mine)
                for path in ["/integrations/\(hook.id)/edit", "/integrations/\(hook.id)/delete", "/logs/log_nothere"] {
                    let page = try await visitor.get(path)
                    #expect(page.status == .notFound, "\(path): \(page.status)")
                    #expect(page.html.contains("Not found"))
                }
                for path in [
                    "/integrations/\(hook.id)/delete", "/integrations/\(hook.id)/edit", "/rules/\(ruleID)/delete",
                    "/rules/\(ruleID)/disable",
                ] {
                    let page = try await visitor.post(path, [("label", "Mine now")])
                    #expect(page.status == .notFound, "\(path): \(page.status)")
                }
                let rules = try await visitor.get("/rules")
                #expect(!rules.html.contains(ruleID))
                let list = try await visitor.get("/integrations")
                #expect(!list.html.contains("Their private hook"))
            }
            let still = try await stack.client(theirs).gateway.getRule(path: .init(id: ruleID)).ok.body.json
            #expect(still.enabled == true, "their rule was not touched")
        }

        @Test("Connect with OAuth: the app's sign-in returns the browser to the console, connected or refused")
        func oauthReturn() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace("Console OAuth")
            let fake = stack.fakes.mailchimp
            let account = await fake.addAccount(dc: "us3", name: "Console shop", email: "owner@example.com")
            _ = await fake.addAudience(account: account, name: "Customers")
            await fake.setAuthorizingAccount(account)
            try await ConsoleVisitor.withConsole(stack) { visitor in
                _ = try await visitor.signIn(key: key)
                let started = try await visitor.post(
                    "/integrations/new/mailchimp", [("label", "Shop news"), ("method", "oauth")])
                #expect(started.status == .seeOther, "\(started.html.prefix(300))")
                let authorize = try #require(started.location)
                #expect(authorize.hasPrefix("http://127.0.0.1:\(stack.fakes.mailchimpPort)/login/oauth2/authorize"))
                // The app's sign-in sends the browser to the gateway's callback, which sends it back to the console.
                let signIn = try await API.raw("GET", authorize, followRedirects: false)
                let callback = try #require(signIn.headers.first(name: "location"))
                let back = try await API.raw("GET", callback, followRedirects: false)
                #expect(back.status == 303, "\(back.text)")
                let returnTo = try #require(back.headers.first(name: "location"))
                #expect(
                    returnTo.hasPrefix("http://127.0.0.1:0/integrations/connected?integration_id=int_"), "\(returnTo)")
                let path = String(returnTo.dropFirst("http://127.0.0.1:0".count))
                let confirmed = try await visitor.get(path)
                #expect(confirmed.status == .ok)
                #expect(confirmed.html.contains("Shop news is connected"))
                #expect(confirmed.html.contains("Back to Integration Setup"))

                // Refused at the app: back in the console with the reason, nothing connected.
                let again = try await visitor.post(
                    "/integrations/new/mailchimp", [("label", "Denied"), ("method", "oauth")])
                let againLocation = try #require(again.location)
                let state = try #require(
                    URLComponents(string: againLocation)?.queryItems?.first { $0.name == "state" }?.value)
                let denied = try await API.raw(
                    "GET", "\(stack.gatewayURL)/v1/oauth/callback?state=\(state)&error=access_denied",
                    followRedirects: false)
                #expect(denied.status == 303)
                let deniedLocation = try #require(denied.headers.first(name: "location"))
                let deniedPath = String(deniedLocation.dropFirst("http://127.0.0.1:0".count))
                #expect(deniedPath.contains("error=access_denied"))
                let refused = try await visitor.get(deniedPath)
                #expect(refused.html.contains("Nothing was connected"))
                #expect(refused.html.contains("access was not granted"))
            }
            let bad = try await refusal {
                try await stack.client(key).gateway.connectIntegration(
                    body: .json(.init(connector: "mailchimp", label: "Bad return", returnTo: "javascript:alert(1)"))
                ).ok
            }
            #expect(bad.status == 400)
            #expect(bad.field == "return_to")
        }

        @Test("products: the ones events and rules name, with the name last sent and when")
        func products() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace("Console products")
            let hook = try await stack.createWebhookIntegration(key: key, label: "Hook")
            try await stack.createRule(key: key, integrationID: hook.id, productID: "prod_ruled", path: "/p")
            var event = TestStack.event(type: .product_purchased, email: "buyer@example.com")
            event.product = .init(id: "prod_seen", name: "Seen Course")
            try await stack.publishAccepted(key: key, event)
            let gateway = try stack.client(key).gateway
            var listed: [Gateway.ProductSummary] = []
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                listed = try await gateway.listProducts().ok.body.json.products
                if listed.count == 2 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            let seen = try #require(listed.first, "seen products first: \(listed)")
            #expect(seen.id == "prod_seen", "seen products first: \(listed)")
            #expect(seen.name == "Seen Course")
            #expect(seen.lastSeenAt != nil)
            let ruled = try #require(listed.last)
            #expect(ruled.id == "prod_ruled")
            #expect(ruled.ruleCount == 1)
            #expect(ruled.lastSeenAt == nil, "a product only a rule names has no last-seen time")
            let (_, other) = try await stack.createMarketplace("Console products B")
            let otherList = try await stack.client(other).gateway.listProducts().ok.body.json.products
            #expect(otherList.isEmpty, "products are per marketplace")

            try await ConsoleVisitor.withConsole(stack) { visitor in
                _ = try await visitor.signIn(key: key)
                let page = try await visitor.get("/products")
                #expect(page.html.contains("Seen Course"))
                #expect(page.html.contains("prod_ruled"))
                let opened = try await visitor.get("/products/open?id=prod_new%2F1")
                #expect(opened.location == "/products/prod_new%2F1")
                let product = try await visitor.get("/products/prod_ruled")
                #expect(product.html.contains("Integrations"))
                #expect(product.html.contains("Hook"), "its rules, with their integration's label")
            }
        }
    }
}
