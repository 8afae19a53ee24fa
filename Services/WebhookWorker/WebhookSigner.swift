import Crypto
import Foundation

/// Standard Webhooks signatures: HMAC-SHA256 over `"{id}.{timestamp}.{body}"`, keyed with the base64-decoded
/// bytes after `whsec_`, sent as `v1,<base64>`.
struct WebhookSigner: Sendable {
    private let key: [UInt8]

    init?(secret: String) {
        guard secret.hasPrefix("whsec_"), let key = Data(base64Encoded: String(secret.dropFirst(6))), !key.isEmpty
        else {
            return nil
        }
        self.key = Array(key)
    }

    func signature(id: String, timestamp: Int, body: [UInt8]) -> String {
        var message = Array("\(id).\(timestamp).".utf8)
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }
}
