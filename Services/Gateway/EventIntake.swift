import Foundation
import Logging
import Messages
import Storage

/// Accepts validated events, whichever way they arrived (`POST /v1/events` or the AMQP ingestion queue), with one
/// idempotency ledger: an id accepted before is a duplicate and is not published again. Two arrivals of a new id at
/// the same moment may both publish it; the matcher's claim processes it once.
struct EventIntake: Sendable {
    let publisher: EventPublisher
    let ledger: EventLedger
    let logger: Logger

    /// Publishes (the broker has confirmed it when this returns), then records the id as accepted. Recording
    /// happens after the confirm so that a failed publish can never make a later retry look like a duplicate.
    /// `json` is what `event` was decoded from. Throws only when the broker did not take the event.
    func accept(_ event: TriggerEvent, json: some Collection<UInt8>, marketplaceID: String)
        async throws -> AcceptResult
    {
        // Unknown when the database is away: then the event is published (the matcher still processes it once).
        if (try? await ledger.wasAccepted(marketplaceID: marketplaceID, eventID: event.id)) == true {
            return AcceptResult(eventID: event.id, status: .duplicate)
        }
        do {
            try await publisher.publish(event, eventJSON: json, marketplaceID: marketplaceID)
        } catch {
            logger.warning(
                "event refused: broker unavailable", metadata: ["event_id": "\(event.id)", "error": "\(error)"])
            throw error
        }
        do {
            let new = try await ledger.recordAccepted(marketplaceID: marketplaceID, eventID: event.id)
            return AcceptResult(eventID: event.id, status: new ? .accepted : .duplicate)
        } catch {
            // The broker holds the event, so it is accepted; the matcher still processes an id only once.
            logger.warning(
                "could not record accepted event", metadata: ["event_id": "\(event.id)", "error": "\(error)"])
            return AcceptResult(eventID: event.id, status: .accepted)
        }
    }
}

struct AcceptResult: Codable, Sendable {
    var eventID: String
    var status: Status

    enum Status: String, Codable, Sendable {
        case accepted, duplicate
    }

    enum CodingKeys: String, CodingKey {
        case status
        case eventID = "event_id"
    }
}
