import Connectors
import Foundation
import Messages

/// Why a call to iContact did not do what was asked, with the sentence a merchant reads. The verdict (retry, give
/// up, reconnect) is decided from `code` alone; `message` is only for people.
struct IContactError: Error, CustomStringConvertible, Sendable {
    enum Code: Sendable, Equatable {
        /// iContact answered with this non-2xx status (its `errors` are in the message).
        case status(Int)
        /// No answer within the configured timeout.
        case timedOut
        /// No connection, or it broke before an answer came.
        case unreachable
        /// A 2xx whose body is not the documented shape: a glitch worth retrying.
        case unexpectedAnswer
        /// A 200 that shows the change was not made (only `warnings`, no contact or subscription): the same data
        /// would be refused again.
        case notDone
        /// A list typed by hand that the account does not have.
        case unknownList
        /// The stored credentials lack a value discovery should have stored: connecting again stores it.
        case incompleteCredentials
    }

    var code: Code
    /// A sentence for the merchant, without a credential.
    var message: String
    /// When iContact said when to come back (`Retry-After` on a 429 or 503).
    var retryAfter: Duration?

    var description: String { message }

    /// Retry, give up or reconnect, by iContact's documented status codes (`shared/vendors/icontact.md`).
    var verdict: ActionResult.Verdict {
        switch code {
        case .status(401), .incompleteCredentials: .needsReconnect
        case .status(408), .status(429), .status(500...599), .timedOut, .unreachable, .unexpectedAnswer:
            .transient(retryAfter: retryAfter)
        case .status, .notDone, .unknownList: .permanent
        }
    }

    /// The same classification for the gateway's requests (verify, refresh).
    var failure: ConnectorReply.Failure {
        switch verdict {
        case .needsReconnect: ConnectorReply.Failure(code: .invalidCredentials, message: message)
        case .transient: ConnectorReply.Failure(code: .unavailable, message: message)
        case .permanent, .success: ConnectorReply.Failure(code: .refused, message: message)
        }
    }

    static let refusedCredentials =
        "iContact refused the app ID, username or app password (or the app is not enabled for this account)."

    /// The error for a non-2xx answer: one sentence per documented status, with iContact's own `errors` after it.
    static func status(_ status: Int, errors: [String], retryAfter: Duration?) -> IContactError {
        let said = errors.isEmpty ? "" : " iContact said: \(sentences(errors))"
        let message: String
        switch status {
        case 400: message = "iContact refused the data as invalid (400 Bad Request).\(said)"
        case 401: message = refusedCredentials
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
        return IContactError(code: .status(status), message: message, retryAfter: retryAfter)
    }

    /// iContact's messages as one text ending in a period, short enough for a log line.
    static func sentences(_ messages: [String]) -> String {
        let text = messages.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            .map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }.joined(separator: "; ")
        let short = text.count > 300 ? text.prefix(300) + "…" : Substring(text)
        return short.isEmpty ? "" : "\(short)."
    }
}
