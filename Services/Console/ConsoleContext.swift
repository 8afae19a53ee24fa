import Foundation
import Hummingbird

/// The console's request context: the signed-in session (set by `SessionMiddleware`) and the submitted form, read
/// once by the middleware to check its CSRF token.
struct ConsoleContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    var session: Session?
    var form: Form
    /// What the previous request (a form that redirected here) has to say, read from its cookie.
    var notice: Notice?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        session = nil
        form = Form()
        notice = nil
    }

    /// Forms are small; anything larger is not the console's.
    var maxUploadSize: Int { 64 * 1024 }

    /// The session of a page behind `SessionMiddleware`'s sign-in check.
    var signedIn: Session {
        get throws {
            guard let session else { throw HTTPError(.unauthorized) }
            return session
        }
    }
}

/// The fields of an `application/x-www-form-urlencoded` body or a query; the last value of a repeated name.
struct Form: Sendable {
    private(set) var values: [String: String] = [:]

    init() {}

    init(urlEncoded text: String) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            guard !name.isEmpty else { continue }
            values[name] = parts.count > 1 ? Self.decode(parts[1]) : ""
        }
    }

    /// The field trimmed, or nil when missing or blank.
    subscript(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            return nil
        }
        return value
    }

    /// A checkbox: present and not "false".
    func isChecked(_ name: String) -> Bool { values[name].map { $0 != "false" } ?? false }

    private static func decode(_ part: Substring) -> String {
        let spaced = part.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}
