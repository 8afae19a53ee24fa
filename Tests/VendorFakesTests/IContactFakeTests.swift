import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import VendorFakes

/// The iContact fake answers as the documented API does (`shared/vendors/icontact.md`).
@Suite struct IContactFakeTests {
    let credentials = IContactFakeState.Credentials(appID: "app", username: "user@example.com", password: "pw")

    func headers(_ credentials: IContactFakeState.Credentials) throws -> HTTPFields {
        var fields: HTTPFields = [.accept: "application/json", .contentType: "application/json"]
        fields[try #require(HTTPField.Name("api-version"))] = "2.2"
        fields[try #require(HTTPField.Name("api-appid"))] = credentials.appID
        fields[try #require(HTTPField.Name("api-username"))] = credentials.username
        fields[try #require(HTTPField.Name("api-password"))] = credentials.password
        return fields
    }

    func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
    }

    func body(_ object: Any) -> ByteBuffer {
        ByteBuffer(bytes: Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data()))
    }

    @Test("discovery, then find → create → subscribe → unsubscribe, with array bodies and warnings in a 200")
    func addAndUnsubscribe() async throws {
        let fake = IContactFake()
        let (accountID, folderID) = await fake.state.addAccount(credentials)
        let listID = await fake.state.addList(credentials, name: "Newsletter")
        await fake.state.warnOnCreate(credentials, email: "jane@example.com")
        let app = Application(router: fake.router())
        let base = "/icp/a/\(accountID)/c/\(folderID)"
        let h = try headers(credentials)
        try await app.test(.router) { client in
            try await client.execute(uri: "/icp/a/", method: .get, headers: h) { response in
                #expect((json(response)["accounts"] as? [[String: Any]])?.first?["accountId"] as? String == accountID)
            }
            try await client.execute(uri: "/icp/a/\(accountID)/c/", method: .get, headers: h) { response in
                #expect(
                    (json(response)["clientfolders"] as? [[String: Any]])?.first?["clientFolderId"] as? String
                        == folderID)
            }
            try await client.execute(
                uri: "\(base)/contacts?email=jane@example.com&status=total", method: .get, headers: h
            ) { response in
                #expect((json(response)["contacts"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(
                uri: "\(base)/contacts", method: .post, headers: h, body: body(["email": "jane@example.com"])
            ) { response in
                #expect(response.status == .badRequest, "a contact body must be an array")
                #expect((json(response)["errors"] as? [String])?.isEmpty == false)
            }
            let contactID = try await client.execute(
                uri: "\(base)/contacts", method: .post, headers: h,
                body: body([["email": "jane@example.com", "firstName": "Jane"]])
            ) { response -> String? in
                #expect(response.status == .ok)
                #expect((json(response)["warnings"] as? [String])?.count == 1)
                return (json(response)["contacts"] as? [[String: Any]])?.first?["contactId"] as? String
            }
            let contact = try #require(contactID)
            try await client.execute(
                uri: "\(base)/subscriptions", method: .post, headers: h,
                body: body([["contactId": contact, "listId": listID, "status": "normal"]])
            ) { response in
                let subscription = (json(response)["subscriptions"] as? [[String: Any]])?.first
                #expect(subscription?["subscriptionId"] as? String == "\(listID)_\(contact)")
            }
            try await client.execute(
                uri: "\(base)/subscriptions/\(listID)_\(contact)", method: .post, headers: h,
                body: body(["status": "unsubscribed"])
            ) { response in
                #expect((json(response)["subscription"] as? [String: Any])?["status"] as? String == "unsubscribed")
            }
        }
        #expect(
            await fake.state.subscription(credentials, listID: listID, email: "jane@example.com")?.status
                == "unsubscribed")
    }

    @Test("wrong credentials or a missing API-Version are refused with errors; queued 503s then recovery")
    func refusals() async throws {
        let fake = IContactFake()
        await fake.state.addAccount(credentials)
        let app = Application(router: fake.router())
        try await app.test(.router) { client in
            var wrong = credentials
            wrong.password = "nope"
            try await client.execute(uri: "/icp/a/", method: .get, headers: try headers(wrong)) { response in
                #expect(response.status == .unauthorized)
                #expect((json(response)["errors"] as? [String])?.isEmpty == false)
            }
            var noVersion = try headers(credentials)
            noVersion[try #require(HTTPField.Name("api-version"))] = nil
            #expect(try await client.execute(uri: "/icp/a/", method: .get, headers: noVersion).status == .badRequest)
            await fake.state.failNext(credentials, status: 503, count: 1)
            #expect(
                try await client.execute(uri: "/icp/a/", method: .get, headers: try headers(credentials)).status
                    == .serviceUnavailable)
            #expect(
                try await client.execute(uri: "/icp/a/", method: .get, headers: try headers(credentials)).status == .ok)
        }
    }

    @Test("ids can come as numbers")
    func numericIDs() async throws {
        let fake = IContactFake()
        await fake.state.addAccount(credentials)
        await fake.state.setNumericIDs(true)
        let app = Application(router: fake.router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/icp/a/", method: .get, headers: try headers(credentials)) { response in
                #expect((json(response)["accounts"] as? [[String: Any]])?.first?["accountId"] is Int)
            }
        }
    }
}
