import Foundation
import GatewayAPI

/// How the console writes values for people: times in UTC, statuses in words, destinations with their kind.
enum Display {
    static func time(_ date: Date?) -> String {
        guard let date else { return "never" }
        return date.formatted(
            Date.FormatStyle(date: .abbreviated, time: .shortened, timeZone: .gmt)) + " UTC"
    }

    /// An RFC 3339 time for machines (`<time datetime>`).
    static func machineTime(_ date: Date) -> String { date.formatted(.iso8601) }

    static func status(_ status: Gateway.IntegrationStatus) -> (text: String, badge: String) {
        switch status {
        case .connected: ("Connected", "success")
        case .needsReconnect: ("Needs reconnecting", "warning")
        case .error: ("Error", "danger")
        }
    }

    /// "tag “VIP” in list 123", "URL https://…", with "(typed by hand)" for a destination the catalog did not have.
    static func destination(_ destination: Gateway.Destination) -> String {
        var text = "\(destination.kind.rawValue) “\(destination.name)”"
        if destination.id == nil, destination.kind != .url { text += " (typed by hand)" }
        return text
    }

    /// A code in words: "product.purchased" → "Product purchased", "permanent_failure" → "Permanent failure".
    static func words(_ raw: String) -> String {
        let words = raw.replacingOccurrences(of: ".", with: " ").replacingOccurrences(of: "_", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    /// "3 lists, 12 tags" from a refresh's counts.
    static func counts(_ counts: [String: Int]) -> String {
        let parts = counts.keys.sorted().map { kind -> String in
            let count = counts[kind] ?? 0
            return "\(count) \(kind)\(count == 1 ? "" : "s")"
        }
        return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
    }
}
