import AsyncHTTPClient
import Foundation
import NIOHTTP1

/// Why an HTTP call to an app got no answer, told apart once for every connector: all of these are worth
/// another try, and each reads differently in the log.
public enum NetworkFailure: Sendable, Equatable {
    /// No answer within the timeout (connecting or reading).
    case timedOut
    /// Nothing listens at the address.
    case refused
    /// Anything else: DNS, TLS, a reset connection…; the text says which.
    case unreachable(String)

    public init(_ error: any Error) {
        if let error = error as? HTTPClientError, [.deadlineExceeded, .readTimeout, .connectTimeout].contains(error) {
            self = .timedOut
            return
        }
        let text = String(describing: error)
        if text.localizedCaseInsensitiveContains("refused") {
            self = .refused
        } else if text.localizedCaseInsensitiveContains("timeout") || text.localizedCaseInsensitiveContains("timed out") {
            self = .timedOut
        } else {
            self = .unreachable(String(text.prefix(120)))
        }
    }

    /// A sentence about `app` ("Mailchimp", "shop.example.com") for the merchant.
    public func sentence(app: String, timeout: Duration) -> String {
        switch self {
        case .timedOut: "\(app) did not answer within \(Self.format(timeout))."
        case .refused: "\(app) refused the connection (nothing is listening there)."
        case .unreachable(let detail): "\(app) could not be reached (\(detail))."
        }
    }

    /// `10 s`, `2.5 s`.
    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds.rounded() == seconds ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}

extension HTTPHeaders {
    /// `Retry-After` as a delay: delta-seconds, or an HTTP-date (RFC 9110) counted from now; nil when absent or
    /// unreadable.
    public var retryAfter: Duration? {
        guard let value = first(name: "retry-after")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Int(value) { return .seconds(Swift.max(0, seconds)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .seconds(Swift.max(0, Int(date.timeIntervalSinceNow.rounded(.up))))
    }
}
