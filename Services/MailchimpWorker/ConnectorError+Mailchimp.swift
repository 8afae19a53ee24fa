import Connectors

/// Mailchimp's answers as connector errors, classified once so that actions, refreshes and verifications agree.
extension ConnectorError {
    /// Classifies an error answer of the Marketing API (`shared/vendors/mailchimp.md`, "Errors"). `subject` is the
    /// address the request was about, for sentences such as "Mailchimp refused jane@example.com: …".
    init(mailchimp status: Int, problem: MailchimpProblem?, retryAfter: Duration?, subject: String?) {
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
            self.init(.permanent, message, status: status)
        case 401:
            self.init(
                .needsReconnect,
                "Mailchimp no longer accepts this integration's API key or access token (API Key Invalid): it was revoked or "
                    + "regenerated, or Switchyard was disconnected in Mailchimp.",
                status: status)
        case 404:
            self.init(
                .notFound,
                Self.sentence(
                    "Mailchimp could not find what the request names" + (detail.isEmpty ? "" : ": \(detail)")),
                status: status)
        case 429:
            self.init(
                .throttled,
                "Mailchimp refused the request because the account already had 10 requests in progress (429 Too Many Requests).",
                status: status, retryAfter: retryAfter)
        case 408, 500..<600:
            self.init(
                .transient, "Mailchimp had a temporary problem (HTTP \(status)\(title.isEmpty ? "" : " \(title)")).",
                status: status, retryAfter: retryAfter)
        default:
            self.init(
                .permanent,
                Self.sentence(
                    "Mailchimp refused the request (HTTP \(status)\(title.isEmpty ? "" : " \(title)"))"
                        + (detail.isEmpty ? "" : ": \(detail)")),
                status: status)
        }
    }

    /// Ends `text` with a full stop unless it already ends a sentence (Mailchimp's details usually do).
    private static func sentence(_ text: String) -> String {
        guard let last = text.last, !".!?".contains(last) else { return text }
        return text + "."
    }
}
