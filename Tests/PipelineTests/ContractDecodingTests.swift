import AMQP
import Foundation
import Messages
import Pipeline
import Testing

/// What every typed consumer decides before its handler runs (`DeliveryConsumer(reading:)`): a message of the
/// contract is read, one of another contract or one that does not decode is refused with a reason.
@Suite("Reading deliveries by contract")
struct ContractDecodingTests {
    static let outcome = Outcome(
        entryID: "log_1", marketplaceID: "mkt_1", eventID: "evt_1", trigger: .productPurchased, test: false,
        customerEmail: "jane@example.com", productID: nil, rule: nil, status: .success, reason: "Delivered.",
        attemptNumber: 1, attempt: nil, at: Date(timeIntervalSince1970: 1_800_000_000))

    @Test("a delivery of the contract, or without a type, is read; another contract's or garbage is refused")
    func decoding() throws {
        let body = try MessageCoding.encode(Self.outcome)
        let typed = AMQPDelivery(message: AMQPMessage(body: body, type: Outcome.contract))
        #expect(try typed.decoded(as: Outcome.self).entryID == "log_1")
        let untyped = AMQPDelivery(message: AMQPMessage(body: body))
        #expect(try untyped.decoded(as: Outcome.self).entryID == "log_1", "older publishers sent no type")

        let other = AMQPDelivery(message: AMQPMessage(body: body, type: ActionCommand.contract))
        let refusal = #expect(throws: DecodingError.self) { try other.decoded(as: Outcome.self) }
        #expect(ProcessingFailure.describe(try #require(refusal)).contains("expected a \(Outcome.contract) message"))
        #expect(ProcessingFailure.kind(of: try #require(refusal)) == .deterministic, "dead-lettered, never retried")

        let garbage = AMQPDelivery(message: AMQPMessage(body: Array("{\"entry_id\":".utf8), type: Outcome.contract))
        #expect(throws: DecodingError.self) { try garbage.decoded(as: Outcome.self) }
    }
}
