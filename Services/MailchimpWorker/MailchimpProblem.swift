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
