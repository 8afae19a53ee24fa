/// Where a log entry stands: pending → success | retrying | failed | skipped.
public enum LogStatus: String, Codable, Sendable, CaseIterable, Hashable {
    case pending, success, retrying, failed, skipped

    /// Orders the statuses of one attempt, so that a late `pending` never hides the `success` that followed it.
    public var rank: Int {
        switch self {
        case .pending: 0
        case .retrying: 1
        case .success, .failed, .skipped: 2
        }
    }
}
