import ConnectorKit
import Connectors
import Messages

/// Why a Mailchimp operation failed, classified once so that actions, refreshes and verifications agree. `code`
/// decides retrying or giving up; `message` is a sentence for the merchant and never holds a credential.
struct MailchimpError: Error, CustomStringConvertible {
    enum Code: Sendable, Equatable {
        /// 401 `API Key Invalid`: the key or token is wrong or was revoked. The integration needs reconnecting.
        case invalidCredentials
        /// A 4xx Mailchimp will answer the same way every time (validation, compliance state, forbidden…).
        case refused
        /// 404: the audience, member or group does not exist; the caller knows which and says so.
        case notFound
        /// 429: the account has too many requests in progress.
        case tooManyRequests
        /// 5xx, a timeout, a connection that failed, an answer that cannot be read.
        case unavailable
        /// The request cannot be made at all: OAuth not set up, a malformed key, a rule without its audience.
        case badRequest
    }

    var code: Code
    var message: String
    /// The HTTP status and problem title Mailchimp answered, when it answered.
    var status: Int?
    var title: String?
    var retryAfter: Duration?
    var underlying: (any Error)?

    init(
        _ code: Code, _ message: String, status: Int? = nil, title: String? = nil, retryAfter: Duration? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.status = status
        self.title = title
        self.retryAfter = retryAfter
        self.underlying = underlying
    }

    var description: String { "\(code) (HTTP \(status.map(String.init) ?? "-")): \(message)" }

    /// How an action that failed this way ends: retried, given up, or the integration marked `needs_reconnect`.
    var verdict: ActionResult.Verdict {
        switch code {
        case .invalidCredentials: .needsReconnect
        case .refused, .notFound, .badRequest: .permanent
        case .tooManyRequests, .unavailable: .transient(retryAfter: retryAfter)
        }
    }

    /// The same failure as a connector reply to the gateway.
    var failure: ConnectorReply.Failure {
        switch code {
        case .invalidCredentials: ConnectorReply.Failure(code: .invalidCredentials, message: message)
        case .refused, .notFound: ConnectorReply.Failure(code: .refused, message: message)
        case .tooManyRequests, .unavailable: ConnectorReply.Failure(code: .unavailable, message: message)
        case .badRequest: ConnectorReply.Failure(code: .badRequest, message: message)
        }
    }

    /// Classifies an error answer of the Marketing API (`shared/vendors/mailchimp.md`, "Errors"). `subject` is the
    /// address the request was about, for sentences such as "Mailchimp refused jane@example.com: …".
    init(status: Int, problem: MailchimpProblem?, retryAfter: Duration?, subject: String?) {
        let title = problem?.title ?? ""
        let detail = problem?.shortDetail ?? ""
        let who = subject ?? "the address"
        switch status {
        case 400:
            let message: String
            switch title {
            case "Member In Compliance State":
                message =
                    "Mailchimp refused \(who): the address unsubscribed or bounced earlier and can't be re-added without their consent."
            case "Forgotten Email Not Subscribed":
                message =
                    "Mailchimp refused \(who): the address was permanently deleted from the audience at the person's request "
                    + "and can only come back by signing up again through a Mailchimp form."
            case "Member Exists":
                message = "Mailchimp refused \(who): the address is already a member of the audience."
            case "Invalid Resource" where !(problem?.errors ?? []).isEmpty:
                message = Self.sentence("Mailchimp refused \(who) as invalid: \(problem?.fieldErrors ?? detail)")
            case "Invalid Resource":
                message = Self.sentence(
                    "Mailchimp refused \(who): \(detail.isEmpty ? "it considers the request invalid" : detail)")
            default:
                message = Self.sentence(
                    "Mailchimp refused the request (\(title.isEmpty ? "HTTP 400" : title))"
                        + (detail.isEmpty ? "" : ": \(detail)"))
            }
            self.init(.refused, message, status: status, title: title)
        case 401:
            self.init(
                .invalidCredentials,
                "Mailchimp no longer accepts this integration's API key or access token (API Key Invalid): it was revoked or "
                    + "regenerated, or Switchyard was disconnected in Mailchimp.",
                status: status, title: title)
        case 404:
            self.init(
                .notFound,
                Self.sentence(
                    "Mailchimp could not find what the request names" + (detail.isEmpty ? "" : ": \(detail)")),
                status: status, title: title)
        case 429:
            self.init(
                .tooManyRequests,
                "Mailchimp refused the request because the account already had 10 requests in progress (429 Too Many Requests).",
                status: status, title: title, retryAfter: retryAfter)
        case 408, 500..<600:
            self.init(
                .unavailable, "Mailchimp had a temporary problem (HTTP \(status)\(title.isEmpty ? "" : " \(title)")).",
                status: status,
                title: title, retryAfter: retryAfter)
        default:
            self.init(
                .refused,
                Self.sentence(
                    "Mailchimp refused the request (HTTP \(status)\(title.isEmpty ? "" : " \(title)"))"
                        + (detail.isEmpty ? "" : ": \(detail)")),
                status: status, title: title)
        }
    }

    /// Ends `text` with a full stop unless it already ends a sentence (Mailchimp's details usually do).
    static func sentence(_ text: String) -> String {
        guard let last = text.last, !".!?".contains(last) else { return text }
        return text + "."
    }

    /// Classifies a request that got no answer: always worth trying again.
    init(transport error: any Error, timeout: Duration) {
        self.init(.unavailable, NetworkFailure(error).sentence(app: "Mailchimp", timeout: timeout), underlying: error)
    }
}

/// Mailchimp's `application/problem+json` error body.
struct MailchimpProblem: Decodable, Sendable {
    struct FieldError: Decodable, Sendable {
        var field: String?
        var message: String?
    }

    var title: String?
    var status: Int?
    var detail: String?
    var errors: [FieldError]?

    /// The detail, cut to a sentence's length.
    var shortDetail: String? {
        detail.map { $0.count > 200 ? String($0.prefix(200)) + "…" : $0 }
    }

    /// "email_address: This value should not be blank; …"
    var fieldErrors: String {
        (errors ?? []).map { [$0.field, $0.message].compactMap { $0 }.joined(separator: ": ") }.joined(separator: "; ")
    }
}
