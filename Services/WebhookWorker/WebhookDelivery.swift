import AsyncHTTPClient
import ConnectorKit
import Connectors
import Foundation
import Messages
import NIOCore
import NIOHTTP1

/// One HTTP attempt at delivering an event, and what it means: delivered, refused for good, or worth retrying.
struct WebhookDelivery: Sendable {
    typealias Verdict = ActionResult.Verdict
    typealias Result = ActionResult

    let client: HTTPClient
    /// One deadline for the whole attempt: connecting, the answer's head and its body.
    let timeout: Duration
    /// Where webhooks may go (`SWITCHYARD_WEBHOOK_ALLOW_NETWORKS`), checked when connecting.
    let resolver: PinnedResolver
    /// The most of an answer read; the log keeps its first 300 characters.
    static let maximumAnswer = 64 * 1024

    /// The body receivers get: `{"type":…,"timestamp":…,"data":{the event}}`.
    struct Payload: Encodable {
        var type: String
        var timestamp: Date
        var data: TriggerEvent
    }

    func deliver(to urlString: String, id: String, body: [UInt8], signer: WebhookSigner) async -> Result {
        let started = ContinuousClock.now
        guard let url = URL(string: urlString), let host = url.host,
            ["http", "https"].contains(url.scheme?.lowercased() ?? "")
        else {
            return Result(
                verdict: .permanent, reason: "The rule's URL \(urlString) is not a valid http or https URL.",
                request: "POST \(urlString)", response: "not sent", duration: .zero)
        }
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: urlString)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "Switchyard-Webhooks/1.0")
        request.headers.add(name: "webhook-id", value: id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(
            name: "webhook-signature", value: signer.signature(id: id, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        let summary = "POST \(urlString) (\(body.count) bytes, webhook-id \(id))"
        let pinned: HTTPClient
        do {
            pinned = try await resolver.client(for: host, shared: client)
        } catch let refusal as PinnedResolver.Refusal {
            return Result(
                verdict: .permanent, reason: "Not sent: \(refusal.reason).", request: summary, response: "not sent",
                duration: ContinuousClock.now - started)
        } catch {
            let failure = Self.classify(error, url: url, host: host, timeout: timeout)
            return Result(
                verdict: failure.verdict, reason: failure.message, request: summary, response: "not sent",
                duration: .zero)
        }
        do {
            let response = try await pinned.executeBounded(
                request, timeout: timeout, maximumBytes: Self.maximumAnswer, truncating: true)
            let excerpt = Self.excerpt(of: response.body)
            let status = response.status
            let answered = "HTTP \(status.code) \(status.reasonPhrase)" + (excerpt.isEmpty ? "" : ": \(excerpt)")
            let duration = ContinuousClock.now - started
            let retryAfter = response.headers.retryAfter
            let verdict: Verdict
            let reason: String
            switch status.code {
            case 200..<300:
                verdict = .success
                reason = "Delivered to \(host) (HTTP \(status.code))."
            case 300..<400:
                verdict = .permanent
                let location = response.headers.first(name: "location").map { " to \($0)" } ?? ""
                reason =
                    "\(host) answered with a redirect (HTTP \(status.code))\(location); Switchyard does not follow redirects, so update the rule's URL."
            case 410:
                verdict = .permanent
                reason = "\(host) answered 410 Gone: the receiver asked for no more deliveries."
            case 408, 425, 429, 500..<600:
                verdict = .transient(retryAfter: retryAfter)
                reason = "\(host) answered HTTP \(status.code) \(status.reasonPhrase)."
            default:
                verdict = .permanent
                reason =
                    "\(host) refused the delivery with HTTP \(status.code) \(status.reasonPhrase); it will not be retried."
            }
            return Result(verdict: verdict, reason: reason, request: summary, response: answered, duration: duration)
        } catch {
            let duration = ContinuousClock.now - started
            let failure = Self.classify(error, url: url, host: host, timeout: timeout)
            return Result(
                verdict: failure.verdict, reason: failure.message, request: summary,
                response: "no answer: \(failure.message)", duration: duration)
        }
    }

    /// Network failures are transient, except a URL the client can never use (told by AsyncHTTPClient's error
    /// values; `unsupportedScheme` carries the scheme it read from the same URL).
    static func classify(_ error: any Error, url: URL, host: String, timeout: Duration) -> ConnectorError {
        let unusable: [HTTPClientError] = [.invalidURL, .emptyHost, .emptyScheme, .unsupportedScheme(url.scheme ?? "")]
        if let error = error as? HTTPClientError, unusable.contains(error) {
            return ConnectorError(.invalidInput, "The rule's URL cannot be used: \(error).", underlying: error)
        }
        return ConnectorError(network: error, app: host, timeout: timeout)
    }

    /// The first 300 characters of the answer, for the log (made safe to store by the runtime).
    static func excerpt(of body: ByteBuffer) -> String {
        let prefix = body.readableBytesView.prefix(300)
        return String(decoding: prefix, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
