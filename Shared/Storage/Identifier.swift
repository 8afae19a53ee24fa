import Crypto
import Foundation

/// Opaque ids and secrets: random, URL-safe, with a prefix that says what they are.
public enum Identifier {
    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")

    /// `prefix_` followed by 20 random base-32 characters (100 bits).
    public static func random(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let body = (0..<20).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] }
        return prefix + "_" + String(body)
    }

    /// A deterministic id derived from its parts: the same inputs always give the same id, which is what makes
    /// redelivered messages idempotent.
    public static func derived(prefix: String, from parts: [String]) -> String {
        var hasher = SHA256()
        for part in parts {
            hasher.update(data: Array(part.utf8))
            hasher.update(data: [0])
        }
        let digest = Array(hasher.finalize())
        var bits = 0
        var value = 0
        var body = ""
        for byte in digest.prefix(15) {
            value = (value << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                body.append(alphabet[(value >> bits) & 31])
            }
        }
        return prefix + "_" + body
    }

    /// Random bytes for secrets (API keys, webhook signing secrets).
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// `count` random bytes as unpadded base64url: safe in a header, a URL query and a shell.
    public static func randomToken(bytes count: Int) -> String {
        Data(randomBytes(count)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// A marketplace API key: shown once, stored only as its SHA-256 hash. The key has 256 random bits, so a plain
/// hash is enough — there is nothing to brute-force.
public struct APIKey: Sendable {
    /// The key itself (`sy_live_…`); never stored or logged.
    public let plaintext: String

    /// A new random key: `sy_live_` and 32 random bytes as base64url.
    public static func generate() -> APIKey {
        APIKey(plaintext: "sy_live_" + Identifier.randomToken(bytes: 32))
    }

    /// The SHA-256 hash of a key, as stored and looked up.
    public static func hash(_ key: String) -> [UInt8] { Array(SHA256.hash(data: Array(key.utf8))) }

    /// The first characters, kept in clear so an operator can tell keys apart.
    public var prefix: String { String(plaintext.prefix(12)) }
}
