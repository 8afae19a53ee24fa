import Foundation

/// Plain-text tables for people: one header row, columns padded to their widest cell.
enum Table {
    /// A column: its header, and its cell of a row (nil shows as "-").
    typealias Column<Row> = (header: String, value: (Row) -> String?)

    /// Renders one row per element with the given columns.
    static func render<Row>(_ rows: [Row], columns: [Column<Row>]) -> String {
        guard !rows.isEmpty else { return "(none)" }
        let cells = rows.map { row in columns.map { $0.value(row) ?? "-" } }
        let widths = columns.indices.map { index in
            max(columns[index].header.count, cells.map { $0[index].count }.max() ?? 0)
        }
        func line(_ values: [String]) -> String {
            zip(values, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingTrailingSpaces()
        }
        return ([line(columns.map(\.header))] + cells.map(line)).joined(separator: "\n")
    }

    /// One record as "name  value" lines; a missing value shows as "-".
    static func record(_ fields: KeyValuePairs<String, String?>) -> String {
        let width = fields.map(\.key.count).max() ?? 0
        return fields.map { name, value in
            name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + (value ?? "-")
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

extension Date {
    /// The time as the API writes it (RFC 3339, UTC, milliseconds).
    var rfc3339: String { formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)) }
}

extension Bool {
    /// "true" or "false".
    var text: String { self ? "true" : "false" }
}
