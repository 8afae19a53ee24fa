/// Where and how to connect, parsed from the same `amqp://` URL every Switchyard process reads from its
/// environment, plus tuning knobs with production defaults.
public struct AMQPConfiguration: Sendable {
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

    /// Parses `amqp://user:password@host:port/vhost` (vhost percent-decoded; empty path or `%2f` is `/`).
    ///
    /// Missing parts default to `guest`/`guest`, `127.0.0.1`, `5672` and `/`; user and password are
    /// percent-decoded. A query string is ignored. Anything unparsable throws `.invalidConfiguration`.
    public init(url: String, connectionName: String) throws(AMQPError) {
        let invalid = { (reason: String) in
            AMQPError(code: .invalidConfiguration, message: "invalid AMQP URL: \(reason)")
        }
        let scheme = "amqp://"
        guard url.lowercased().hasPrefix(scheme) else { throw invalid("expected scheme amqp://") }
        var rest = Substring(url.dropFirst(scheme.count))
        if let query = rest.firstIndex(of: "?") { rest = rest[..<query] }
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }

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
        var port = 5672
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
    }

    /// Decodes `%XX` escapes; nil on a malformed escape or invalid UTF-8.
    static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(Self.hexValue),
                      let low = iterator.next().flatMap(Self.hexValue) else { return nil }
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
