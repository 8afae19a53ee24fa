import Foundation
import NIOHTTP1

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
