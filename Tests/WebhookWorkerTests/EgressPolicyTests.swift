import AsyncHTTPClient
import ConnectorKit
import Connectors
import Testing

@testable import WebhookWorker

/// Webhooks must not reach internal addresses (issue 10, item 1): every special-purpose range is refused, in IPv4,
/// IPv6 and the IPv4-in-IPv6 forms, unless the operator's allow-list opens it.
@Suite struct EgressPolicyTests {
    @Test(
        "internal and reserved addresses are refused",
        arguments: [
            "127.0.0.1", "127.8.9.10", "169.254.169.254", "10.0.0.5", "172.16.0.1", "172.31.255.255", "192.168.1.1",
            "100.64.0.1", "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
            "192.0.2.1", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
            "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::1",
            "[::1]",
        ])
    func refused(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(EgressPolicy().refusal(for: address) != nil, "\(text) must be refused")
    }

    @Test("public addresses are allowed", arguments: ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111"])
    func allowed(_ text: String) throws {
        let address = try #require(IPAddress(text))
        #expect(EgressPolicy().refusal(for: address) == nil, "\(text) must be allowed")
    }

    @Test func theAllowListOpensExactlyItsNetworks() throws {
        let policy = try EgressPolicy(allowList: "127.0.0.1/32, 10.1.0.0/16,fd00::/8")
        #expect(policy.refusal(for: try #require(IPAddress("127.0.0.1"))) == nil)
        #expect(policy.refusal(for: try #require(IPAddress("::ffff:127.0.0.1"))) == nil, "the mapped form too")
        #expect(policy.refusal(for: try #require(IPAddress("127.0.0.2"))) != nil)
        #expect(policy.refusal(for: try #require(IPAddress("10.1.200.3"))) == nil)
        #expect(policy.refusal(for: try #require(IPAddress("10.2.0.1"))) != nil)
        #expect(policy.refusal(for: try #require(IPAddress("fd00::5"))) == nil)
        #expect(throws: EgressPolicyError.self) { try EgressPolicy(allowList: "localhost") }
        #expect(throws: EgressPolicyError.self) { try EgressPolicy(allowList: "10.0.0.0/33") }
        #expect(IPAddress("example.com") == nil, "names are not addresses")
    }

    @Test("a host name is resolved and every address checked when connecting; the client is pinned to it")
    func namesAreCheckedWhenConnecting() async throws {
        let shared = HTTPClient(eventLoopGroupProvider: .singleton)
        let closed = PinnedResolver(policy: EgressPolicy(), configuration: ConnectorWorker.httpClientConfiguration)
        await #expect(throws: PinnedResolver.Refusal.self) {
            _ = try await closed.client(for: "localhost", shared: shared)
        }
        await #expect(throws: PinnedResolver.Refusal.self) {
            _ = try await closed.client(for: "127.0.0.1", shared: shared)
        }
        let open = PinnedResolver(
            policy: try EgressPolicy(allowList: "127.0.0.1/32"), configuration: ConnectorWorker.httpClientConfiguration)
        let pinned = try await open.client(for: "localhost", shared: shared)
        #expect(pinned !== shared)
        #expect(await open.pinnedAddresses(of: "localhost") == ["127.0.0.1"])
        await closed.shutdown()
        await open.shutdown()
        try await shared.shutdown()
    }
}
