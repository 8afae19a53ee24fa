import Connectors
import Messages

/// The one place a connector's error becomes what the runtime acts on: the verdict of an action (retried, given up,
/// `needs_reconnect`) and the reply to the gateway's requests (verify, OAuth, refresh).
extension ConnectorError {
    /// How an action that failed this way ends.
    public var verdict: ActionResult.Verdict {
        switch code {
        case .needsReconnect: .needsReconnect
        case .invalidInput, .permanent, .notFound: .permanent
        case .throttled, .transient, .timedOut, .connectionRefused, .unreachable: .transient(retryAfter: retryAfter)
        // A code without a decision here is a defect (ConnectorKitTests holds every code to one); retrying is the
        // choice that loses nothing.
        default: .transient(retryAfter: retryAfter)
        }
    }

    /// The same failure as the reply to a request from the gateway.
    public var reply: ConnectorReply.Failure {
        let replyCode: ConnectorReply.Failure.Code =
            switch code {
            case .needsReconnect: .invalidCredentials
            case .invalidInput: .badRequest
            case .permanent, .notFound: .refused
            case .throttled, .transient, .timedOut, .connectionRefused, .unreachable: .unavailable
            default: .unavailable
            }
        return ConnectorReply.Failure(code: replyCode, message: message)
    }
}
