import Synchronization

/// The requests one operation made and what Mailchimp answered, summarised for the log entry (method, path, body
/// size; status and the start of the body), never with a credential. A reference, so that calls made inside
/// cached lookups and concurrent catalog pages are recorded too.
final class Transcript: Sendable {
    private let entries = Mutex<[(request: String, response: String)]>([])

    func record(_ request: String, _ response: String) {
        entries.withLock { $0.append((request, response)) }
    }

    /// What was sent, one call after the other.
    var request: String {
        let sent = entries.withLock { $0.map(\.request) }
        return sent.isEmpty ? "not sent" : sent.joined(separator: "; ")
    }

    /// What Mailchimp answered to each call.
    var response: String {
        let answered = entries.withLock { $0.map(\.response) }
        return answered.isEmpty ? "nothing was sent to Mailchimp" : answered.joined(separator: "; ")
    }
}
