#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where and how to connect, parsed from the same `amqp://` (or `amqps://`) URL every Switchyard process reads
/// from its environment, plus tuning knobs with production defaults.
public struct AMQPConfiguration: Sendable {
    /// TLS settings of an `amqps://` connection (rabbitmq-c's OpenSSL socket).
    public struct TLS: Sendable, Equatable {
        /// PEM file of the certificate authorities to trust; nil uses the system's bundle (`systemCAFile`).
        public var caFile: String?
        /// PEM client certificate, for brokers that require one (together with `keyFile`).
        public var certificateFile: String?
        /// PEM private key of `certificateFile`.
        public var keyFile: String?
        /// Whether the broker's certificate must chain to a trusted CA. Turning it off makes TLS encrypt
        /// without authenticating the broker; only for tests.
        public var verifyPeer: Bool
        /// Whether the certificate must name the host connected to (DNS names only: rabbitmq-c 0.11 does not
        /// match IP addresses, so connect by name when this is on).
        public var verifyHostname: Bool

        /// Verifying TLS against `caFile` (or the system's CAs).
        public init(
            caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
            verifyPeer: Bool = true, verifyHostname: Bool = true
        ) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.verifyPeer = verifyPeer
            self.verifyHostname = verifyHostname
        }

        /// The first CA bundle found where Linux distributions and macOS keep it; rabbitmq-c does not load the
        /// system's trust store by itself.
        public static var systemCAFile: String? {
            ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]
                .first { access($0, R_OK) == 0 }
        }
    }

    /// Broker host name or address.
    public var host: String
    /// Broker port.
    public var port: Int
    /// PLAIN user name.
    public var username: String
    /// PLAIN password.
    public var password: String
    /// Virtual host, already percent-decoded.
    public var virtualHost: String
    /// Requested heartbeat interval (whole seconds, at least one); the broker may negotiate it down.
    /// Without heartbeats a silently dead TCP peer would only be noticed by the kernel after minutes.
    public var heartbeat: Duration
    /// Maximum number of published but unconfirmed messages; more publishes wait in line rather than fail.
    public var confirmWindow: Int
    /// Shown in the management UI to tell processes apart.
    public var connectionName: String
    /// First delay before reconnecting; doubled (with jitter) per failed attempt.
    public var initialBackoff: Duration
    /// Cap for the reconnect delay.
    public var maximumBackoff: Duration
    /// TLS settings; nil for a plain `amqp://` connection.
    public var tls: TLS?

    /// Parses `amqp://user:password@host:port/vhost` (vhost percent-decoded; empty path or `%2f` is `/`) or
    /// `amqps://…` for TLS.
    ///
    /// Missing parts default to `guest`/`guest`, `127.0.0.1`, `5672` (`5671` for `amqps`) and `/`; user and
    /// password are percent-decoded. `amqps` URLs take RabbitMQ's URI query parameters for TLS: `cacertfile`,
    /// `certfile`, `keyfile` (paths) and `verify` (`verify_peer`, the default, or `verify_none`, which turns off
    /// both certificate and host name checks). Other query parameters are ignored; TLS parameters on an
    /// `amqp://` URL and anything unparsable throw `.invalidConfiguration`.
    public init(url: String, connectionName: String) throws(AMQPError) {
        let invalid = { (reason: String) in
            AMQPError(code: .invalidConfiguration, message: "invalid AMQP URL: \(reason)")
        }
        let secure = url.lowercased().hasPrefix("amqps://")
        guard secure || url.lowercased().hasPrefix("amqp://") else {
            throw invalid("expected scheme amqp:// or amqps://")
        }
        var rest = Substring(url.dropFirst(secure ? 8 : 7))
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        let tls = try Self.tls(query: query, secure: secure)

        let authority: Substring
        var vhost = "/"
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty {
                guard let decoded = Self.percentDecode(path) else { throw invalid("bad percent-encoding in vhost") }
                vhost = decoded
            }
        } else {
            authority = rest
        }

        var username = "guest"
        var password = "guest"
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            let userPart: Substring
            if let colon = userInfo.firstIndex(of: ":") {
                userPart = userInfo[..<colon]
                guard let decoded = Self.percentDecode(userInfo[userInfo.index(after: colon)...]) else {
                    throw invalid("bad percent-encoding in password")
                }
                password = decoded
            } else {
                userPart = userInfo
            }
            guard let decodedUser = Self.percentDecode(userPart) else {
                throw invalid("bad percent-encoding in user name")
            }
            username = decodedUser
        }

        var host = "127.0.0.1"
        var port = secure ? 5671 : 5672
        var portPart: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("garbage after IPv6 address") }
                portPart = after.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            let name = hostPort[..<colon]
            if !name.isEmpty { host = String(name) }
            portPart = hostPort[hostPort.index(after: colon)...]
        } else if !hostPort.isEmpty {
            host = String(hostPort)
        }
        if let portPart, !portPart.isEmpty {
            guard let value = Int(portPart), (1...65535).contains(value) else { throw invalid("bad port") }
            port = value
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" || $0 == "@" }) else {
            throw invalid("bad host")
        }

        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.virtualHost = vhost
        self.heartbeat = .seconds(10)
        self.confirmWindow = 1024
        self.connectionName = connectionName
        self.initialBackoff = .milliseconds(100)
        self.maximumBackoff = .seconds(5)
        self.tls = tls
    }

    /// Overrides the URL's TLS settings from the environment, so that file paths need not be put into the URL:
    /// `SWITCHYARD_AMQP_CA_FILE`, `SWITCHYARD_AMQP_CERT_FILE` and `SWITCHYARD_AMQP_KEY_FILE` (paths) and
    /// `SWITCHYARD_AMQP_TLS_VERIFY` (`peer`, the default, or `none`). Empty values count as unset; any of them
    /// with an `amqp://` URL throws `.invalidConfiguration` rather than connecting without TLS.
    public mutating func applyTLSEnvironment(_ environment: [String: String]) throws(AMQPError) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let names = [
            "SWITCHYARD_AMQP_CA_FILE", "SWITCHYARD_AMQP_CERT_FILE", "SWITCHYARD_AMQP_KEY_FILE",
            "SWITCHYARD_AMQP_TLS_VERIFY",
        ]
        guard let set = names.first(where: { value($0) != nil }) else { return }
        guard var tls else {
            throw AMQPError(code: .invalidConfiguration, message: "\(set) is set but the AMQP URL is not amqps://")
        }
        if let caFile = value("SWITCHYARD_AMQP_CA_FILE") { tls.caFile = caFile }
        if let certificateFile = value("SWITCHYARD_AMQP_CERT_FILE") { tls.certificateFile = certificateFile }
        if let keyFile = value("SWITCHYARD_AMQP_KEY_FILE") { tls.keyFile = keyFile }
        switch value("SWITCHYARD_AMQP_TLS_VERIFY") {
        case nil: break
        case "peer": tls.verifyPeer = true
        case "none": tls.verifyPeer = false
        default:
            throw AMQPError(code: .invalidConfiguration, message: "SWITCHYARD_AMQP_TLS_VERIFY must be peer or none")
        }
        if value("SWITCHYARD_AMQP_TLS_VERIFY") != nil { tls.verifyHostname = tls.verifyPeer }
        guard (tls.certificateFile == nil) == (tls.keyFile == nil) else {
            throw AMQPError(
                code: .invalidConfiguration,
                message: "SWITCHYARD_AMQP_CERT_FILE and SWITCHYARD_AMQP_KEY_FILE go together")
        }
        self.tls = tls
    }

    /// The TLS settings of an `amqps` URL's query (nil for `amqp`).
    private static func tls(query: Substring, secure: Bool) throws(AMQPError) -> TLS? {
        var tls = TLS()
        var tlsParameters: [String] = []
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard let value = percentDecode(parts.count > 1 ? parts[1] : ""), !value.isEmpty else {
                throw AMQPError(
                    code: .invalidConfiguration,
                    message: "invalid AMQP URL: query parameter \(name) needs a value")
            }
            switch name {
            case "cacertfile": tls.caFile = value
            case "certfile": tls.certificateFile = value
            case "keyfile": tls.keyFile = value
            case "verify":
                switch value {
                case "verify_peer": tls.verifyPeer = true
                case "verify_none": tls.verifyPeer = false
                default:
                    throw AMQPError(
                        code: .invalidConfiguration,
                        message: "invalid AMQP URL: verify must be verify_peer or verify_none")
                }
                tls.verifyHostname = tls.verifyPeer
            default: continue
            }
            tlsParameters.append(name)
        }
        guard secure else {
            guard tlsParameters.isEmpty else {
                throw AMQPError(
                    code: .invalidConfiguration,
                    message: "invalid AMQP URL: \(tlsParameters[0]) needs the amqps:// scheme")
            }
            return nil
        }
        guard (tls.certificateFile == nil) == (tls.keyFile == nil) else {
            throw AMQPError(code: .invalidConfiguration, message: "invalid AMQP URL: certfile and keyfile go together")
        }
        return tls
    }

    /// Decodes `%XX` escapes; nil on a malformed escape or invalid UTF-8.
    static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(Self.hexValue),
                    let low = iterator.next().flatMap(Self.hexValue)
                else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The value of one hexadecimal digit.
    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
