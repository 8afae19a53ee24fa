import Foundation

/// Plain-text tables for people: one header row, columns padded to their widest cell.
enum Table {
    /// Renders `rows` with the given (header, key) columns; a missing value shows as "-".
    static func render(_ rows: [JSONValue], columns: [(header: String, key: String)]) -> String {
        guard !rows.isEmpty else { return "(none)" }
        let cells = rows.map { row in columns.map { row[$0.key]?.text ?? "-" } }
        let widths = columns.indices.map { index in
            max(columns[index].header.count, cells.map { $0[index].count }.max() ?? 0)
        }
        func line(_ values: [String]) -> String {
            zip(values, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingTrailingSpaces()
        }
        return ([line(columns.map(\.header))] + cells.map(line)).joined(separator: "\n")
    }

    /// One object as "key: value" lines.
    static func record(_ value: JSONValue, keys: [String]) -> String {
        let width = keys.map(\.count).max() ?? 0
        return keys.map { key in
            key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + (value[key]?.text ?? "-")
        }.joined(separator: "\n")
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
