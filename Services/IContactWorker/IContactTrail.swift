/// The calls one operation made and what iContact answered to each, for the log entry's request and response
/// summaries, plus the warnings iContact gave along the way.
struct IContactTrail: Sendable {
    private(set) var requests: [String] = []
    private(set) var responses: [String] = []
    private(set) var warnings: [String] = []

    mutating func record(request: String, response: String) {
        requests.append(request)
        responses.append(response)
    }

    mutating func warn(_ messages: [String]?) {
        warnings += (messages ?? []).filter { !$0.isEmpty }
    }

    var request: String { requests.isEmpty ? "nothing sent" : requests.joined(separator: "; ") }
    var response: String { responses.isEmpty ? "no answer" : responses.joined(separator: "; ") }
}
