import Connectors
import Foundation

/// Reads a process's configuration from environment variables, with defaults that work on one machine.
/// A value that is present but unusable is an error at start-up, never silently replaced by the default.
public struct Settings: Sendable {
    let values: [String: String]

    /// Creates settings that read from `values`, the process's environment by default.
    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// The variable's value, or the default when it is unset or empty.
    public func string(_ key: String, default defaultValue: String) -> String {
        guard let value = values[key], !value.isEmpty else { return defaultValue }
        return value
    }

    /// The variable's value, or nil when it is unset or empty.
    public func optionalString(_ key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }

    /// The variable as a whole number, or the default when it is unset or empty; throws when it is not a number.
    public func int(_ key: String, default defaultValue: Int) throws(SettingsError) -> Int {
        guard let text = optionalString(key) else { return defaultValue }
        guard let value = Int(text) else {
            throw SettingsError(key: key, message: "must be a whole number, not \"\(text)\"")
        }
        return value
    }

    /// A whole number within `range`: `SWITCHYARD_PREFETCH=0` would mean "unlimited" to the broker, and a negative
    /// port or count means nothing, so such values stop the process at start-up instead.
    public func int(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(SettingsError) -> Int {
        let value = try int(key, default: defaultValue)
        guard range.contains(value) else {
            throw SettingsError(
                key: key, message: "must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
        }
        return value
    }

    /// A prefetch count: 1 to 65535 (0 would mean unlimited to the broker).
    public func prefetch(_ key: String, default defaultValue: Int) throws(SettingsError) -> UInt16 {
        UInt16(try int(key, default: defaultValue, in: 1...Int(UInt16.max)))
    }

    /// A duration that must be longer than zero (a timeout, a delay, a lease).
    public func positiveDuration(_ key: String, default defaultValue: Duration) throws(SettingsError) -> Duration {
        let value = try duration(key, default: defaultValue)
        guard value > .zero else { throw SettingsError(key: key, message: "must be longer than zero") }
        return value
    }

    /// The variable as a duration (`parseDuration`), or the default when it is unset or empty; throws when unreadable.
    public func duration(_ key: String, default defaultValue: Duration) throws(SettingsError) -> Duration {
        guard let text = optionalString(key) else { return defaultValue }
        guard let value = Self.parseDuration(text) else {
            throw SettingsError(key: key, message: "must be a duration such as 500ms, 15s, 2m or 1h, not \"\(text)\"")
        }
        return value
    }

    /// The variable as a comma-separated list of positive durations (`5s,30s,2m`), or the default when it is unset
    /// or empty; throws for an unreadable or non-positive item or an empty list.
    public func durations(_ key: String, default defaultValue: [Duration]) throws(SettingsError) -> [Duration] {
        guard let text = optionalString(key) else { return defaultValue }
        var result: [Duration] = []
        for part in text.split(separator: ",") {
            guard let value = Self.parseDuration(part.trimmingCharacters(in: .whitespaces)), value > .zero else {
                throw SettingsError(key: key, message: "must be a comma-separated list of durations such as 5s,30s,2m")
            }
            result.append(value)
        }
        guard !result.isEmpty else { throw SettingsError(key: key, message: "must name at least one duration") }
        return result
    }

    /// `250ms`, `15s`, `2m`, `1h`, `1d`; a bare number is seconds.
    public static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number >= 0 else { return nil }
            return .milliseconds(Int64((number * seconds * 1000).rounded()))
        }
        return Double(text).flatMap { $0 >= 0 ? .milliseconds(Int64(($0 * 1000).rounded())) : nil }
    }

    /// Formats a duration the way `parseDuration` reads it, for queue names and messages (`5s`, `2m`, `1h`).
    public static func format(_ duration: Duration) -> String {
        let ms = duration.milliseconds
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }
}

/// A configuration value that cannot be used; the message says which variable and what it should look like.
public struct SettingsError: Error, CustomStringConvertible {
    /// The environment variable (`SWITCHYARD_LOG_LEVEL`).
    public var key: String
    /// What is wrong with its value, as the rest of a sentence after the variable's name ("must be longer than zero").
    public var message: String
    /// The variable's name followed by the message.
    public var description: String { "\(key) \(message)" }

    /// Creates an error about a variable with its message.
    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }
}

extension Duration {
    /// Whole milliseconds, for TTLs and log lines.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

extension Settings {
    /// `SWITCHYARD_WEBHOOK_ALLOW_NETWORKS`: internal networks the operator lets webhooks reach (CIDRs, comma
    /// separated; none by default). Read by the gateway (rules naming an address) and the webhook worker (every
    /// connection).
    public func webhookEgressPolicy() throws(SettingsError) -> EgressPolicy {
        do {
            return try EgressPolicy(allowList: string("SWITCHYARD_WEBHOOK_ALLOW_NETWORKS", default: ""))
        } catch {
            throw SettingsError(key: "SWITCHYARD_WEBHOOK_ALLOW_NETWORKS", message: "has \(error)")
        }
    }
}
