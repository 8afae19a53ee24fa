import AMQP
import Foundation
import HTTPAPI
import Hummingbird
import Logging
import Messages
import Pipeline
import Storage

/// `POST /v1/logs/{id}/replay` and `POST /v1/logs/replay` (bulk): perform failed entries' actions again. Each
/// entry goes back to `pending` (a new attempt, with the whole retry schedule again) and its rebuilt command is put
/// in the replay outbox in the same transaction, then published to the connector's queue; the worker's outcome then
/// moves the entry to success or failed like any other attempt. A command that could not be published now is
/// published by `ReplayOutbox` once the broker is back, so an accepted replay is never lost.
struct ReplayRoutes: Sendable {
    /// The most entries one bulk replay queues; the answer says when more matched.
    static let bulkLimit = 500

    let store: LogStore
    let connection: AMQPConnection
    let topology: BrokerTopology
    let logger: Logger

    /// What the replay endpoint answers: the entry's id, its new status and the attempt that was queued.
    struct Accepted: ResponseEncodable {
        var id: String
        var status: LogStatus
        var attempt: Int
        var replay: Int
    }

    /// What the bulk replay answers: how many entries were queued, and whether more matched than the limit.
    struct BulkAccepted: ResponseEncodable {
        var queued: Int
        var ids: [String]
        var more: Bool
    }

    /// The routes, relative to `/v1/logs`; mounted behind `MarketplaceAuthentication`.
    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.post("replay", use: replayMatching)
        routes.post(":id/replay", use: replayOne)
        return routes
    }

    /// `POST /v1/logs/replay`: the failed entries the search parameters match, at most `limit` of them.
    @Sendable func replayMatching(_ request: Request, context: APIRequestContext) async throws
        -> EditedResponse<BulkAccepted>
    {
        let marketplaceID = try context.marketplaceID
        let parameters = request.uri.queryParameters
        var query = try LogRoutes.query(from: parameters)
        if let status = query.status, status != .failed {
            throw APIError.badRequest("only failed entries can be replayed", field: "status")
        }
        query.status = .failed
        let limit = try Self.limit(parameters)
        let ids = try await store.failedEntryIDs(marketplaceID: marketplaceID, query, limit: limit + 1)
        var queued: [String] = []
        for id in ids.prefix(limit) {
            // Another replay may have taken an entry meanwhile: only the ones queued here are counted.
            if case .success(let replay) = try await store.beginReplay(
                marketplaceID: marketplaceID, id: id, command: Self.command(replaying:))
            {
                await publish(replay)
                queued.append(id)
            }
        }
        logger.info("bulk replay queued", metadata: ["count": "\(queued.count)", "marketplace_id": "\(marketplaceID)"])
        return EditedResponse(
            status: .accepted, response: BulkAccepted(queued: queued.count, ids: queued, more: ids.count > limit))
    }

    /// `POST /v1/logs/{id}/replay`.
    @Sendable func replayOne(_ request: Request, context: APIRequestContext) async throws -> EditedResponse<Accepted> {
        let marketplaceID = try context.marketplaceID
        let id = try context.parameters.require("id")
        let replay: LogStore.Replay
        switch try await store.beginReplay(marketplaceID: marketplaceID, id: id, command: Self.command(replaying:)) {
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
        await publish(replay)
        let command = replay.command
        return EditedResponse(
            status: .accepted,
            response: Accepted(id: id, status: .pending, attempt: command.attempt, replay: command.replay ?? 0))
    }

    /// The command a replay performs: the entry's own id (so its outcomes update the entry), its stored event and
    /// rule, the next attempt number, counted as the first attempt of this replay (its retries start again).
    static func command(replaying entry: LogStore.ReplayedEntry) -> ActionCommand {
        ActionCommand(
            commandID: entry.id, marketplaceID: entry.marketplaceID, event: entry.event, rule: entry.rule,
            attempt: entry.attempt, createdAt: Date(), replay: entry.replay, firstAttempt: entry.attempt)
    }

    /// `limit` of a bulk replay: 1 to `bulkLimit`, 100 by default.
    static func limit(_ parameters: Hummingbird.Parameters) throws -> Int {
        guard let text = parameters.get("limit"), !text.isEmpty else { return 100 }
        guard let value = Int(text), (1...bulkLimit).contains(value) else {
            throw APIError.badRequest("must be a whole number from 1 to \(bulkLimit)", field: "limit")
        }
        return value
    }

    /// Publishes a replay's command and takes it out of the outbox; if the broker cannot take it now, the outbox
    /// keeps it for `ReplayOutbox`.
    private func publish(_ replay: LogStore.Replay) async {
        let command = replay.command
        do {
            try await connection.publish(topology.publication(ofEncodedCommand: replay.body, command: command))
            try await store.finishReplay(completionKey: command.completionKey)
            logger.info(
                "replay queued",
                metadata: [
                    "entry_id": "\(command.commandID)", "attempt": "\(command.attempt)",
                    "replay": "\(command.replay ?? 0)",
                ])
        } catch {
            logger.warning(
                "replay kept in the outbox; it is published once the broker takes it",
                metadata: ["entry_id": "\(command.commandID)", "error": "\(error)"])
        }
    }
}
