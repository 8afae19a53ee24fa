import AMQP
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Storage

/// How a consumer treats a failure while it handles a message: retry what will pass (the database or the
/// broker away, a timeout), give up at once on what will happen again for the same message (it cannot be
/// decoded, the database refuses a value in it). Decided on the error's type and code, never on its text.
public enum ProcessingFailure {
    /// What a failure means for the message being handled.
    public enum Kind: Sendable, Equatable {
        /// The infrastructure's: retried with backoff for as long as it lasts, never counted against the message.
        case transient
        /// The message's own: the same message fails again; it is dead-lettered at once with its reason.
        case deterministic
        /// Not known to be either: retried a few times, then treated as deterministic.
        case unknown
    }

    /// What a failure means for the message: decided on the error's type and code (database, broker, decoding).
    public static func kind(of error: any Error) -> Kind {
        let error = DatabaseFailure.underlying(error)
        if DatabaseFailure.isTransient(error) { return .transient }
        if DatabaseFailure.isDataError(error) { return .deterministic }
        switch error {
        case let error as AMQPError:
            switch error.code {
            case .notConnected, .connectionLost, .timeout, .nacked, .closed, .blocked: return .transient
            default: return .deterministic
            }
        case is DecodingError, is EncodingError, is StorageError: return .deterministic
        case let error as PSQLError where error.code == .server: return .deterministic
        default: return .unknown
        }
    }

    /// A short explanation for a log entry: what was refused, without payloads or secrets.
    public static func describe(_ error: any Error) -> String {
        switch DatabaseFailure.underlying(error) {
        case let error as PSQLError:
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return "the database refused it: \(message.prefix(200))\(state)"
        case let error as DecodingError:
            switch error {
            case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
                .valueNotFound(_, let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return
                    "its message cannot be read\(path.isEmpty ? "" : " at \(path)"): \(context.debugDescription.prefix(200))"
            @unknown default:
                return "its message cannot be read"
            }
        default:
            return String(describing: error).prefix(200).description
        }
    }
}

/// Retries an operation while its failure is transient (the database or the broker briefly away), with growing,
/// jittered pauses, until it succeeds or the process shuts down; such failures must not count against a message's
/// delivery limit, so the handler keeps the message meanwhile. A deterministic failure is thrown at once, an
/// unknown one after `unknownAttempts` tries (about half a minute), for the handler to dead-letter the message with
/// its reason.
public func retryingTransientFailures<T: Sendable>(
    logger: Logger, what: String, unknownAttempts: Int = 12, _ operation: @Sendable () async throws -> T
) async throws -> T {
    var pause = Duration.milliseconds(100)
    var attempt = 1
    while true {
        do {
            return try await operation()
        } catch {
            try Task.checkCancellation()
            // Shutting down: give the message back (unacked) rather than keep a process alive that was asked to stop.
            if Task.isShuttingDownGracefully { throw error }
            switch ProcessingFailure.kind(of: error) {
            case .deterministic: throw error
            case .unknown where attempt >= unknownAttempts: throw error
            case .transient, .unknown: break
            }
            if attempt == 1 || attempt % 20 == 0 {
                logger.warning("\(what) failed; retrying", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
            }
            // Full jitter within the upper half, so processes that lost the same server do not return in lockstep.
            let jittered = Double(pause.milliseconds) * Double.random(in: 0.5...1.0)
            try await Task.sleep(for: .milliseconds(Int64(jittered)))
            pause = min(pause * 2, .seconds(5))
            attempt += 1
        }
    }
}
