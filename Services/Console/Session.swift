import Crypto
import Foundation

/// A signed-in merchant: the marketplace's API key (which never leaves the server except sealed in the cookie),
/// the session's CSRF token and when it ends.
struct Session: Codable, Sendable, Equatable {
    var apiKey: String
    /// Every changing form carries it (`csrf`), as does every htmx request (`X-CSRF-Token`).
    var csrfToken: String
    var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case apiKey = "k"
        case csrfToken = "c"
        case expiresAt = "e"
    }
}

/// Seals sessions into cookie values with AES-GCM: a cookie that was changed, made with another key or has
/// expired opens to nothing.
struct SessionSealer: Sendable {
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// A sealer with a 32-byte key; a random one when none is configured.
    init(key: Data?) {
        keyBytes = key ?? SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
    }

    func seal(_ session: Session) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let box = try AES.GCM.seal(try encoder.encode(session), using: key)
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return Self.base64URL(combined)
    }

    /// The session in `value` if it was sealed with this key and is still valid at `now`.
    func open(_ value: String, now: Date = Date()) -> Session? {
        guard let data = Self.data(base64URL: value), let box = try? AES.GCM.SealedBox(combined: data),
            let plain = try? AES.GCM.open(box, using: key)
        else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        guard let session = try? decoder.decode(Session.self, from: plain), session.expiresAt > now else { return nil }
        return session
    }

    /// 256 random bits, URL-safe: CSRF tokens.
    static func randomToken() -> String {
        base64URL(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }

    /// Compares two tokens in time independent of where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func data(base64URL text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
