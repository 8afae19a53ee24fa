import AMQP
import Foundation
import Logging
import Messages
import Metrics
import Pipeline
import Storage

/// Consumes `<prefix>.ingest`, where store backends publish events over AMQP (`IngestContract`), and treats each
/// message as `POST /v1/events` treats a request: the same validation, the same idempotency ledger, the same
/// publish to the pipeline. Nothing is retried that can never succeed, and nothing is dropped silently:
/// - a refused message of a known marketplace becomes a final `failed` entry in that marketplace's log
///   ("Rejected: customer.email is required …");
/// - a message no marketplace can be named for (no or a foreign `user_id`, an unknown marketplace) is counted and
///   kept in `<prefix>.ingest.rejected` with the reason in the `x-switchyard-reason` header.
/// While the database or the broker is away a message is given back and tried again a second later.
struct IngestConsumer: Sendable {
    let intake: EventIntake
    let marketplaces: KnownMarketplaces
    /// The process's publishing connection (refusal outcomes, set-aside messages).
    let publisher: AMQPConnection
    let topology: BrokerTopology
    let logger: Logger
    /// How long a message waits before it is given back after a transient failure.
    var pause: Duration = .seconds(1)

    static func counter(_ result: String) -> Counter {
        Counter(label: "switchyard_ingest_messages_total", dimensions: [("result", result)])
    }
    let accepted = IngestConsumer.counter("accepted")
    let duplicates = IngestConsumer.counter("duplicate")
    let rejected = IngestConsumer.counter("rejected")
    let unattributed = IngestConsumer.counter("unattributed")

    func handle(_ delivery: AMQPDelivery) async -> DeliveryDisposition {
        let message = delivery.message
        guard let user = message.userID, let marketplaceID = IngestContract.marketplaceID(forUser: user) else {
            return await setAside(message, refusal: .noMarketplace(user: message.userID))
        }
        do {
            guard try await marketplaces.contains(marketplaceID) else {
                return await setAside(message, refusal: .unknownMarketplace(marketplaceID))
            }
        } catch {
            return await giveBack("the marketplace could not be looked up", error: error)
        }
        let event: TriggerEvent
        do {
            event = try IngestContract.validated(type: message.type, messageID: message.messageID, body: message.body)
        } catch {
            return await logRefusal(message, refusal: error, marketplaceID: marketplaceID)
        }
        do {
            let result = try await intake.accept(event, json: message.body, marketplaceID: marketplaceID)
            (result.status == .accepted ? accepted : duplicates).increment()
            return .ack
        } catch {
            return await giveBack("the event could not be published", error: error)
        }
    }

    /// The final log entry of a refused message, in its marketplace. Its id is derived from the message, so a
    /// redelivery of the same message writes the same entry.
    static func refusalOutcome(
        body: [UInt8], messageID: String?, refusal: IngestContract.Refusal, marketplaceID: String, at: Date
    ) -> Outcome {
        let salvage = IngestContract.Salvage(body: body)
        let eventID =
            salvage.eventID ?? messageID
            ?? Identifier.derived(prefix: "amqp", from: [String(decoding: body, as: UTF8.self)])
        return Outcome(
            entryID: Identifier.derived(prefix: "log", from: [marketplaceID, eventID, "rejected", "\(refusal)"]),
            marketplaceID: marketplaceID, eventID: eventID, trigger: salvage.trigger, test: salvage.test,
            customerEmail: salvage.customerEmail ?? "", productID: nil, rule: nil, status: .failed,
            reason: "Rejected: \(refusal). The event was published over AMQP and not processed; publish it again "
                + "once it is corrected.",
            attemptNumber: 0, attempt: nil, at: at
        ).sanitizedForStorage()
    }

    private func logRefusal(
        _ message: AMQPMessage, refusal: IngestContract.Refusal, marketplaceID: String
    ) async -> DeliveryDisposition {
        let outcome = Self.refusalOutcome(
            body: message.body, messageID: message.messageID, refusal: refusal, marketplaceID: marketplaceID,
            at: Date())
        do {
            try await publisher.publish(try topology.publication(of: outcome))
        } catch {
            return await giveBack("the refusal could not be logged", error: error)
        }
        rejected.increment()
        logger.info(
            "AMQP message refused",
            metadata: ["marketplace_id": "\(marketplaceID)", "entry_id": "\(outcome.entryID)", "reason": "\(refusal)"])
        return .ack
    }

    private func setAside(_ message: AMQPMessage, refusal: IngestContract.Refusal) async -> DeliveryDisposition {
        var kept = message
        kept.headers[DeadLetter.reasonHeader] = .string(String("\(refusal)".prefix(1000)))
        kept.headers[DeadLetter.queueHeader] = .string(topology.ingestQueue)
        kept.expiration = nil
        do {
            try await publisher.publish(kept, exchange: "", routingKey: topology.ingestRejectedQueue)
        } catch {
            return await giveBack("the message could not be set aside", error: error)
        }
        unattributed.increment()
        logger.warning(
            "AMQP message refused without a marketplace; kept in \(topology.ingestRejectedQueue)",
            metadata: ["user_id": "\(message.userID ?? "")", "reason": "\(refusal)"])
        return .ack
    }

    private func giveBack(_ what: String, error: any Error) async -> DeliveryDisposition {
        logger.warning("\(what); the message is tried again", metadata: ["error": "\(error)"])
        try? await Task.sleep(for: pause)
        return .redeliver
    }
}

/// The marketplaces AMQP publishers name, remembered once seen: a marketplace is never deleted, so a positive
/// answer stays true and each marketplace costs one lookup per process.
actor KnownMarketplaces {
    private let store: MarketplaceStore
    private var known: Set<String> = []

    init(store: MarketplaceStore) { self.store = store }

    func contains(_ id: String) async throws -> Bool {
        if known.contains(id) { return true }
        guard try await store.exists(id: id) else { return false }
        known.insert(id)
        return true
    }
}
