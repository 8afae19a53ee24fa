extension String {
    /// The text as a log entry may keep it: control characters (which PostgreSQL refuses in text, NUL above all,
    /// and which can forge lines in a terminal) become U+FFFD, except tab and newline; at most `maximumLength`
    /// characters, marked with "…" when cut. Apps' replies pass through this before they are stored.
    public func sanitizedForLog(maximumLength: Int = 2000) -> String {
        let needsCleaning = utf8.contains { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A) || $0 == 0x7F }
        var text = self
        if needsCleaning {
            var scalars = String.UnicodeScalarView()
            for scalar in unicodeScalars {
                let value = scalar.value
                let isControl = (value < 0x20 && value != 0x09 && value != 0x0A) || value == 0x7F
                scalars.append(isControl ? "\u{FFFD}" : scalar)
            }
            text = String(scalars)
        }
        guard text.count > maximumLength else { return text }
        return String(text.prefix(max(0, maximumLength - 1))) + "…"
    }
}
