import Foundation

/// How customer email addresses are normalised. Stores send `"jane@x.com "` as readily as `"Jane@x.com"`: the
/// address that flows through the pipeline is trimmed (so vendors get what the customer typed, without the
/// padding), and comparisons (a purchase cancelling a waiting prospect, log search) use the normalised form.
public enum EmailAddress {
    /// The address without the blanks around it: spaces, tabs and other Unicode space separators, the same
    /// characters the email check ignores. Line breaks are not trimmed; the check refuses them.
    public static func trimmed(_ address: String) -> String {
        // Nearly every address starts and ends with a plain ASCII character other than a blank: then it is
        // returned as it is, without a copy.
        let utf8 = address.utf8
        guard let first = utf8.first, let last = utf8.last else { return address }
        if first < 0x80 && last < 0x80 && !isBlank(first) && !isBlank(last) { return address }
        return address.trimmingCharacters(in: .whitespaces)
    }

    /// The form to compare addresses by: trimmed and lowercased. Keep the trimmed address for display and for
    /// vendors; use this one for equality, lookups and search.
    public static func normalized(_ address: String) -> String {
        trimmed(address).lowercased()
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
}
