import Crypto
import Foundation

/// Encrypts integration credentials at rest with AES-256-GCM. The key comes from configuration, never from the
/// database, so a database dump alone reveals no credential.
public struct CredentialCipher: Sendable {
    /// Format byte in front of every sealed value, so the scheme can change without guessing.
    static let formatVersion: UInt8 = 1

    /// Raw key bytes; `SymmetricKey` is not `Sendable`, so one is made per operation (cheap).
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// Takes the key as standard base64 of 32 random bytes (`openssl rand -base64 32`).
    public init(base64Key: String) throws(StorageError) {
        guard let bytes = Data(base64Encoded: base64Key.trimmingCharacters(in: .whitespacesAndNewlines)),
            bytes.count == 32
        else {
            throw StorageError(
                code: .invalidConfiguration, message: "the encryption key must be base64 of exactly 32 bytes")
        }
        self.keyBytes = Array(bytes)
    }

    /// A fresh random key in the form `init(base64Key:)` reads.
    public static func generateKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// Encrypts bytes with a fresh nonce: the format byte, then the nonce, ciphertext and tag.
    public func seal(_ plaintext: [UInt8]) throws -> [UInt8] {
        let box = try AES.GCM.seal(plaintext, using: key)
        guard let combined = box.combined else {
            throw StorageError(code: .decryptionFailed, message: "sealing produced no output")
        }
        return [Self.formatVersion] + Array(combined)
    }

    /// Decrypts bytes made by `seal(_:)`; throws `.decryptionFailed` for another format, another key or altered data.
    public func open(_ sealed: [UInt8]) throws(StorageError) -> [UInt8] {
        guard sealed.first == Self.formatVersion else {
            throw StorageError(code: .decryptionFailed, message: "stored credentials have an unknown format")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.dropFirst())
            return Array(try AES.GCM.open(box, using: key))
        } catch {
            throw StorageError(
                code: .decryptionFailed, message: "stored credentials could not be decrypted with the configured key",
                underlying: error)
        }
    }

    /// Seals a credentials dictionary as JSON.
    public func seal(credentials: [String: String]) throws -> [UInt8] {
        try seal(Array(JSONEncoder().encode(credentials)))
    }

    /// Opens a credentials dictionary sealed by `seal(credentials:)`.
    public func openCredentials(_ sealed: [UInt8]) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(try open(sealed)))
    }

    /// The form credentials travel in between the gateway and the connector workers (`sealed_credentials` of
    /// `ConnectorRequest`/`ConnectorReply`): base64 of the sealed JSON.
    public func sealForTransit(credentials: [String: String]) throws -> String {
        Data(try seal(credentials: credentials)).base64EncodedString()
    }

    /// Opens credentials sealed by `sealForTransit(credentials:)`.
    public func openFromTransit(_ sealed: String) throws -> [String: String] {
        guard let bytes = Data(base64Encoded: sealed) else {
            throw StorageError(code: .decryptionFailed, message: "sealed credentials in a message are not base64")
        }
        return try openCredentials(Array(bytes))
    }
}
