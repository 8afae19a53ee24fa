import Foundation
import HTTPTypes
import Hummingbird

/// `303 See Other` after a form: the browser loads the next page with GET, and reloading it posts nothing again.
/// A notice for that page ("Integration connected") travels in a short-lived cookie and is shown once.
enum Redirect {
    static let noticeCookie = "switchyard_notice"

    static func to(_ location: String, notice: Notice? = nil) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location])
        if let notice {
            let value = "\(notice.kind.rawValue):\(notice.text)".escapedForURL
            response.setCookie(Cookie(name: noticeCookie, value: value, maxAge: 60, path: "/", sameSite: .lax))
        }
        return response
    }

    static func notice(from value: String) -> Notice? {
        guard let text = value.removingPercentEncoding, let colon = text.firstIndex(of: ":"),
            let kind = Notice.Kind(rawValue: String(text[..<colon]))
        else { return nil }
        return Notice(text: String(text[text.index(after: colon)...].prefix(500)), kind: kind)
    }

    static let expiredNotice = Cookie(name: noticeCookie, value: "", maxAge: 0, path: "/", sameSite: .lax)
}

extension String {
    /// Percent-encoded but for ASCII letters, digits and `-._~`: safe as a path segment, a query value or a cookie
    /// value.
    var escapedForURL: String {
        addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
