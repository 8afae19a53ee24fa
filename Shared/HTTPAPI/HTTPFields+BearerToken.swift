import Hummingbird

extension HTTPFields {
    /// The credentials of `Authorization: Bearer <token>` as sent after the scheme and its space, or nil when there
    /// is no such header. The one place a bearer token is read (API keys and the admin token). The scheme is taken
    /// in any letter case, as HTTP's auth schemes are and as this API always has; hummingbird-auth's
    /// `HTTPFields.bearer` takes only `Bearer`, so it is not used.
    public var bearerToken: String? {
        guard let header = self[.authorization], header.lowercased().hasPrefix("bearer ") else { return nil }
        return String(header.dropFirst(7))
    }
}
