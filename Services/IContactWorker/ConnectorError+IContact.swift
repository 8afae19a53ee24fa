import Connectors

/// iContact's answers as connector errors, by its documented status codes (`shared/vendors/icontact.md`): the code
/// decides retrying, giving up or reconnecting; the message is for the merchant.
extension ConnectorError {
    /// What the merchant reads when iContact refuses the credentials.
    static let iContactRefusedCredentials =
        "iContact refused the app ID, username or app password (or the app is not enabled for this account)."

    /// The error for a non-2xx answer: one sentence per documented status, with iContact's own `errors` after it.
    static func iContact(status: Int, errors: [String], retryAfter: Duration?) -> ConnectorError {
        let said = errors.isEmpty ? "" : " iContact said: \(IContactAPI.sentences(errors))"
        let message: String
        switch status {
        case 400: message = "iContact refused the data as invalid (400 Bad Request).\(said)"
        case 401: message = iContactRefusedCredentials
        case 402:
            message =
                "iContact requires a payment on this account before it accepts API calls (402 Payment Required).\(said)"
        case 403: message = "iContact does not allow this account or app to do that (403 Forbidden).\(said)"
        case 404:
            message =
                "iContact could not find the list, contact or client folder (404 Not Found): it may have been deleted.\(said)"
        case 408: message = "iContact timed out (408 Request Timeout).\(said)"
        case 429: message = "iContact's limit on API calls for this account was reached (429 Too Many Requests).\(said)"
        case 503: message = "iContact is temporarily unavailable (503 Service Unavailable).\(said)"
        case 500...599: message = "iContact failed with HTTP \(status).\(said)"
        default: message = "iContact refused the request with HTTP \(status).\(said)"
        }
        let code: Code =
            switch status {
            case 401: .needsReconnect
            case 404: .notFound
            case 429: .throttled
            case 408, 500...599: .transient
            default: .permanent
            }
        return ConnectorError(code, message, status: status, retryAfter: retryAfter)
    }
}
