import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Gateway

/// The admin token check in front of `/admin/v1`, through a router of the gateway's context (no servers needed).
@Suite struct AdminAuthorizationTests {
    func withRouter(adminToken: String?, _ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let router = Router(context: APIRequestContext.self)
        router.group("/admin/v1").add(middleware: AdminAuthorization(adminToken: adminToken))
            .get("ping") { _, _ in HTTPResponse.Status.noContent }
        try await Application(router: router).test(.router, test)
    }

    @Test("the admin token lets a request through, whatever the letter case of the scheme")
    func tokenPasses() async throws {
        try await withRouter(adminToken: "s3cret") { client in
            for header in ["Bearer s3cret", "bearer s3cret", "BEARER s3cret"] {
                let response = try await client.execute(
                    uri: "/admin/v1/ping", method: .get, headers: [.authorization: header])
                #expect(response.status == .noContent, "\(header)")
            }
        }
    }

    @Test("a missing, wrong or otherwise spelled token is answered 401 with WWW-Authenticate and the error body")
    func otherTokensAreRefused() async throws {
        try await withRouter(adminToken: "s3cret") { client in
            let cases: [HTTPFields] = [
                [:], [.authorization: "Bearer wrong"], [.authorization: "Basic s3cret"],
                [.authorization: "Bearer  s3cret"], [.authorization: "Bearers3cret"],
            ]
            for headers in cases {
                let response = try await client.execute(uri: "/admin/v1/ping", method: .get, headers: headers)
                #expect(response.status == .unauthorized, "\(headers)")
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                #expect(String(buffer: response.body).contains(#""code":"unauthorized""#))
            }
        }
    }

    @Test("without an admin token the admin API answers 403 admin_disabled")
    func disabled() async throws {
        try await withRouter(adminToken: nil) { client in
            let response = try await client.execute(
                uri: "/admin/v1/ping", method: .get, headers: [.authorization: "Bearer anything"])
            #expect(response.status == .forbidden)
            #expect(String(buffer: response.body).contains(#""code":"admin_disabled""#))
        }
    }
}
