import AsyncHTTPClient
import Connectors
import Foundation
import NIOPosix

/// Resolves a webhook's host at connection time, checks EVERY address against the egress policy, and hands out an
/// HTTP client pinned to the checked address (AsyncHTTPClient's `dnsOverride`, which keeps the host name for TLS
/// and `Host`): the connection goes to the address that was checked, so a DNS answer that changes after the check
/// (rebinding) cannot point it elsewhere. Pinned clients are kept per (host, address) and reused, so connections
/// are pooled as usual; the least recently used idle ones are shut down beyond `capacity`.
actor PinnedResolver {
    /// Why a destination is refused: a sentence for the merchant.
    struct Refusal: Error {
        var reason: String
    }

    let policy: EgressPolicy
    let configuration: HTTPClient.Configuration
    let capacity: Int
    private var clients: [String: (client: HTTPClient, used: ContinuousClock.Instant)] = [:]

    init(policy: EgressPolicy, configuration: HTTPClient.Configuration, capacity: Int = 128) {
        self.policy = policy
        self.configuration = configuration
        self.capacity = capacity
    }

    /// The client to use for `host` (an address literal or a name), or a refusal naming the address and its kind.
    func client(for host: String, shared: HTTPClient) async throws -> HTTPClient {
        if let literal = IPAddress(host) {
            if let refusal = policy.refusal(for: literal) {
                throw Refusal(reason: "\(literal) is \(refusal); Switchyard does not send webhooks there")
            }
            return shared
        }
        let addresses = try await Self.resolve(host)
        guard let first = addresses.first else {
            throw Refusal(reason: "\(host) does not resolve to any address")
        }
        for address in addresses {
            if let refusal = policy.refusal(for: address) {
                throw Refusal(
                    reason: "\(host) resolves to \(address), \(refusal); Switchyard does not send webhooks there")
            }
        }
        let key = "\(host)|\(first)"
        if let entry = clients[key] {
            clients[key]?.used = .now
            return entry.client
        }
        var pinned = configuration
        pinned.dnsOverride = [host: first.description]
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: pinned)
        clients[key] = (client, .now)
        if clients.count > capacity, let oldest = clients.min(by: { $0.value.used < $1.value.used }) {
            clients[oldest.key] = nil
            // In-flight requests of the evicted client end with it; it was the least recently used of many.
            try? await oldest.value.client.shutdown()
        }
        return client
    }

    /// The addresses clients for `host` are pinned to (for tests and diagnostics).
    func pinnedAddresses(of host: String) -> [String] {
        clients.keys.filter { $0.hasPrefix("\(host)|") }.map { String($0.dropFirst(host.count + 1)) }.sorted()
    }

    /// Shuts every pinned client down.
    func shutdown() async {
        for (_, entry) in clients { try? await entry.client.shutdown() }
        clients = [:]
    }

    /// The host's addresses (getaddrinfo, off the cooperative pool: it blocks).
    static func resolve(_ host: String) async throws -> [IPAddress] {
        try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            hints.ai_family = AF_UNSPEC
            var result: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, nil, &hints, &result)
            guard status == 0 else {
                throw Refusal(reason: "\(host) could not be resolved (\(String(cString: gai_strerror(status))))")
            }
            defer { freeaddrinfo(result) }
            var addresses: [IPAddress] = []
            var cursor = result
            while let info = cursor {
                if let sockaddr = info.pointee.ai_addr {
                    switch Int32(sockaddr.pointee.sa_family) {
                    case AF_INET:
                        let bytes = sockaddr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                            withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                        }
                        if let address = IPAddress(bytes: bytes), !addresses.contains(address) {
                            addresses.append(address)
                        }
                    case AF_INET6:
                        let bytes = sockaddr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                            withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                        }
                        if let address = IPAddress(bytes: bytes), !addresses.contains(address) {
                            addresses.append(address)
                        }
                    default:
                        break
                    }
                }
                cursor = info.pointee.ai_next
            }
            return addresses
        }
    }
}
