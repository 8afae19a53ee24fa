import HTTPAPI
import Hummingbird
import Messages
import ServiceRuntime

/// What the gateway asked a worker for, which decides how a refusal reads to the API client: refused
/// credentials are the client's input when connecting (422) but the integration's state when refreshing (409).
enum ConnectorCall {
    /// verify, authorize_url, exchange_code: connecting or reconnecting.
    case connect
    /// Re-reading the app's lists, tags and groups.
    case refresh
}

extension ConnectorClient.Failure {
    /// 503 either way, with `Retry-After`: nothing was done, and the same request may work a moment later.
    var apiError: APIError {
        switch code {
        case .brokerUnavailable:
            APIError(
                .serviceUnavailable, code: "broker_unavailable",
                message: "The message broker is unavailable, so the \(connector) worker could not be asked; nothing "
                    + "was changed. Retry in a moment.",
                headers: [.retryAfter: "1"])
        case .noAnswer:
            APIError(
                .serviceUnavailable, code: "connector_unavailable",
                message: "No \(connector) worker answered within \(Self.spoken(timeout)); is "
                    + "switchyard-\(connector)-worker running?",
                headers: [.retryAfter: "\(max(1, (timeout.milliseconds + 999) / 1000))"])
        }
    }

    /// "15 s", "500 ms": a duration as a sentence says it.
    static func spoken(_ duration: Duration) -> String {
        let milliseconds = duration.milliseconds
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}

extension ConnectorReply.Failure {
    /// The worker's refusal as an API error; its message is already a sentence for the merchant, free of
    /// credentials.
    func apiError(for call: ConnectorCall) -> APIError {
        switch (code, call) {
        case (.invalidCredentials, .connect):
            APIError(.unprocessableContent, code: "credentials_rejected", message: message, field: "credentials")
        case (.invalidCredentials, .refresh):
            APIError(.conflict, code: "needs_reconnect", message: message)
        case (.refused, .connect):
            APIError(.unprocessableContent, code: "app_refused", message: message)
        case (.refused, .refresh):
            APIError(.badGateway, code: "app_refused", message: message)
        case (.unavailable, _):
            APIError(.badGateway, code: "app_unavailable", message: message)
        case (.badRequest, _):
            APIError.badRequest(message)
        }
    }
}
