import AsyncHTTPClient
import Connectors
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Requests that got no answer, told apart once for every connector by the error's type (never its text): all of
/// them are worth another try, and each reads differently in the log.
extension ConnectorError {
    /// The error for a request to `app` ("Mailchimp", "shop.example.com") that got no answer within `timeout`.
    public init(network error: any Error, app: String, timeout: Duration) {
        let code = Self.networkCode(of: error)
        let message =
            switch code {
            case .timedOut: "\(app) did not answer within \(Self.format(timeout))."
            case .connectionRefused: "\(app) refused the connection (nothing is listening there)."
            // The error's own words say which (DNS, TLS, a reset…); cut to a sentence's length.
            default: "\(app) could not be reached (\(String(describing: error).prefix(120)))."
            }
        self.init(code, message, underlying: error)
    }

    /// `timedOut`, `connectionRefused` or `unreachable`, by the type AsyncHTTPClient, NIO or the system reported.
    public static func networkCode(of error: any Error) -> Code {
        switch error {
        case let error as HTTPClientError:
            Self.timeouts.contains(error) ? .timedOut : .unreachable
        case let error as ChannelError:
            if case .connectTimeout = error { .timedOut } else { .unreachable }
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: .connectionRefused
            case ETIMEDOUT: .timedOut
            default: .unreachable
            }
        case let error as NIOConnectionError:
            Self.networkCode(of: error)
        case is NIOSSLError:
            .unreachable
        default:
            .unreachable
        }
    }

    /// Happy Eyeballs tried every address: a DNS failure decides; otherwise one refusal means nothing listens
    /// there, and a timeout on any address is a timeout.
    private static func networkCode(of error: NIOConnectionError) -> Code {
        if let dns = error.dnsAError ?? error.dnsAAAAError { return networkCode(of: dns) }
        let codes = error.connectionErrors.map { networkCode(of: $0.error) }
        if codes.contains(.connectionRefused) { return .connectionRefused }
        if codes.contains(.timedOut) { return .timedOut }
        return .unreachable
    }

    /// AsyncHTTPClient's ways of saying the deadline passed: connecting, the TLS or proxy handshake, waiting for a
    /// pooled connection, writing, reading, or the whole request.
    private static let timeouts: [HTTPClientError] = [
        .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout,
        .socksHandshakeTimeout, .httpProxyHandshakeTimeout, .getConnectionFromPoolTimeout,
    ]

    /// `10 s`, `2.5 s`.
    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds.rounded() == seconds ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
