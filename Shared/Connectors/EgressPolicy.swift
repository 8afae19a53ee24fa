import Foundation

/// Which addresses connectors may send merchants' requests to. A webhook URL is the merchant's to choose, so without
/// a policy a rule could POST to the installation's own services (`127.0.0.1:8081`), the cloud's metadata endpoint
/// (`169.254.169.254`) or the private network, and read the reply in the log. Refused, unless an operator allows a
/// network (self-hosting, tests): loopback, link-local, private, carrier-grade NAT, "this network", multicast,
/// documentation and reserved ranges, in IPv4 and IPv6, and IPv4 addresses embedded in IPv6 (mapped, compatible,
/// NAT64, 6to4) by the IPv4 rule.
public struct EgressPolicy: Sendable {
    /// Networks the operator allows although they are in a refused range.
    public let allowed: [Network]

    /// A policy that refuses the special ranges except the networks in `allowed`.
    public init(allowed: [Network] = []) {
        self.allowed = allowed
    }

    /// A policy from a comma-separated CIDR list (`127.0.0.1/32,10.0.0.0/8`, `::1/128`; a bare address is a /32 or
    /// /128). Throws a message naming the entry that is not a network.
    public init(allowList: String) throws(EgressPolicyError) {
        var networks: [Network] = []
        for part in allowList.split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { continue }
            guard let network = Network(text) else { throw EgressPolicyError(entry: text) }
            networks.append(network)
        }
        self.init(allowed: networks)
    }

    /// Why `address` may not be connected to, as the end of a sentence ("a loopback address"), or nil when it may.
    public func refusal(for address: IPAddress) -> String? {
        if allowed.contains(where: { $0.contains(address) }) { return nil }
        return Self.specialPurpose(address)
    }

    /// What kind of special-purpose address this is, or nil for a public unicast address.
    static func specialPurpose(_ address: IPAddress) -> String? {
        if let v4 = address.embeddedIPv4 { return specialPurposeIPv4(v4) }
        let b = address.bytes
        if b.allSatisfy({ $0 == 0 }) { return "the unspecified address" }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return "a loopback address" }
        if b[0] == 0xFF { return "a multicast address" }
        if b[0] & 0xFE == 0xFC { return "a private (unique local) address" }
        if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return "a link-local address" }
        if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return "a site-local address" }
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return "a documentation address" }
        if b[0] == 0x20 && b[1] == 0x01 && b[2] & 0xFE == 0x00 { return "a reserved address" }
        if b[0] == 0x01 && b[1] == 0x00 && b[2..<8].allSatisfy({ $0 == 0 }) { return "a discard-only address" }
        return nil
    }

    static func specialPurposeIPv4(_ b: [UInt8]) -> String? {
        switch (b[0], b[1], b[2]) {
        case (0, _, _): return "a \"this network\" address"
        case (10, _, _): return "a private address"
        case (100, 64...127, _): return "a carrier-grade NAT address"
        case (127, _, _): return "a loopback address"
        case (169, 254, _): return "a link-local address"
        case (172, 16...31, _): return "a private address"
        case (192, 0, 0): return "a reserved (IETF protocol) address"
        case (192, 0, 2), (198, 51, 100), (203, 0, 113): return "a documentation address"
        case (192, 88, 99): return "a reserved (6to4 relay) address"
        case (192, 168, _): return "a private address"
        case (198, 18...19, _): return "a reserved (benchmarking) address"
        case (224...239, _, _): return "a multicast address"
        case (240...255, _, _): return "a reserved address"
        default: return nil
        }
    }
}

/// An allow-list entry that is not a network.
public struct EgressPolicyError: Error, CustomStringConvertible, Sendable {
    /// The entry as the operator wrote it.
    public var entry: String
    /// What is wrong with the entry, with an example of a valid one.
    public var description: String { "\"\(entry)\" is not a network such as 127.0.0.1/32 or fd00::/8" }
}

/// An IPv4 or IPv6 address, as its bytes (4 or 16).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, in network order.
    public let bytes: [UInt8]

    /// Parses `203.0.113.7` or `2001:db8::1` (brackets allowed); nil for anything else, host names included.
    public init?(_ text: String) {
        var text = text
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    /// An address from its 4 or 16 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Whether this is an IPv4 address (4 bytes).
    public var isIPv4: Bool { bytes.count == 4 }

    /// The IPv4 address an IPv6 address carries (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64
    /// `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`), or the address itself when it is IPv4.
    var embeddedIPv4: [UInt8]? {
        if isIPv4 { return bytes }
        let b = bytes
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return Array(b[12..<16]) }
        if b[0..<12].allSatisfy({ $0 == 0 }) && !(b[12..<15].allSatisfy({ $0 == 0 })) { return Array(b[12..<16]) }
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..<12].allSatisfy({ $0 == 0 }) {
            return Array(b[12..<16])
        }
        if b[0] == 0x20 && b[1] == 0x02 { return Array(b[2..<6]) }
        return nil
    }

    /// The address in its usual text form (`203.0.113.7`, `2001:db8::1`).
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv4 ? AF_INET : AF_INET6
        let text = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)).map { _ in
                String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        return text ?? "?"
    }
}

/// An address range in CIDR notation.
public struct Network: Sendable, Hashable, CustomStringConvertible {
    /// The network's first address (host bits zero).
    public let address: IPAddress
    /// How many leading bits of an address the network fixes (0–32 for IPv4, 0–128 for IPv6).
    public let prefixLength: Int

    /// `10.0.0.0/8`, `::1/128`, or a bare address (a single host).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let address = IPAddress(parts[0]) else { return nil }
        let bits = address.bytes.count * 8
        let length = parts.count == 2 ? Int(parts[1]) : bits
        guard let length, (0...bits).contains(length) else { return nil }
        self.address = address
        self.prefixLength = length
    }

    /// Whether `candidate` is in this network (an IPv4 network also holds the IPv4-mapped IPv6 forms).
    public func contains(_ candidate: IPAddress) -> Bool {
        let other: [UInt8]
        if address.bytes.count == candidate.bytes.count {
            other = candidate.bytes
        } else if address.isIPv4, let embedded = candidate.embeddedIPv4 {
            other = embedded
        } else {
            return false
        }
        var remaining = prefixLength
        for (mine, theirs) in zip(address.bytes, other) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            guard mine & mask == theirs & mask else { return false }
            remaining -= 8
        }
        return true
    }

    /// The network in CIDR notation (`10.0.0.0/8`).
    public var description: String { "\(address)/\(prefixLength)" }
}
