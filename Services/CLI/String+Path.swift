import Foundation

extension String {
    /// The string as one URL path segment, so an id can never change which route is called.
    var pathEscaped: String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove("/")
        return addingPercentEncoding(withAllowedCharacters: allowed) ?? self
    }
}
