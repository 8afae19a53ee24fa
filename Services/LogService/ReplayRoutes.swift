import AMQP
import Foundation
import Hummingbird
import Logging
import Messages
import ServiceRuntime
import Storage

/// `POST /v1/logs/{id}/replay`: performs a failed entry's action again. The entry goes back to `pending` (a new
/// attempt) and the rebuilt command is published to the connector's queue; the worker's outcome then moves the
/// entry to success or failed like any other attempt.
struct ReplayRoutes: Sendable {
    let store: LogStore
    let authenticator: APIKeyAuthenticator
    let connection: AMQPConnection
    let topology: BrokerTopology
    let logger: Logger

    /// What the replay endpoint answers: the entry's id, its new status and the attempt that was queued.
    struct Accepted: Encodable {
        var id: String
        var status: LogStatus
        var attempt: Int
        var replay: Int
    }

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/logs/:id/replay") { request, context -> Response in
            let marketplaceID = try await authenticator.marketplaceID(for: request)
            let id = try context.parameters.require("id")
            let replay: LogStore.Replay
            switch try await store.beginReplay(marketplaceID: marketplaceID, id: id) {
            case .success(let value):
                replay = value
            case .failure(.notFound):
                throw APIError.notFound("log entry \(id)")
            case .failure(.notFailed(let status)):
                throw APIError(
                    .conflict, code: "not_replayable",
                    message: "only failed entries can be replayed; this one is \(status.rawValue)")
            case .failure(.noEvent):
                throw APIError(
                    .conflict, code: "not_replayable",
                    message: "this entry was recorded before replays were possible, so its event is not stored")
            }
            let command = replay.command
            do {
                let message = AMQPMessage(
                    body: try MessageCoding.encode(command), messageID: command.completionKey,
                    type: ActionCommand.contract)
                try await connection.publish(
                    message, exchange: topology.actionsExchange, routingKey: command.rule.connector)
            } catch {
                logger.warning("replay could not be queued", metadata: ["entry_id": "\(id)", "error": "\(error)"])
                try await store.abandonReplay(replay, reason: "The replay could not be queued; try again in a moment.")
                throw APIError(
                    .serviceUnavailable, code: "broker_unavailable",
                    message: "the replay could not be queued; try again",
                    headers: [.retryAfter: "5"])
            }
            logger.info(
                "replay queued",
                metadata: ["entry_id": "\(id)", "attempt": "\(command.attempt)", "replay": "\(command.replay ?? 0)"])
            return try JSONResponse.make(
                .accepted, Accepted(id: id, status: .pending, attempt: command.attempt, replay: command.replay ?? 0))
        }
    }
}
