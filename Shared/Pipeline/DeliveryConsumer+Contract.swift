import AMQP
import Logging
import Messages

extension AMQPDelivery {
    /// The body as `Message`. A message whose AMQP `type` names another contract is refused rather than misread
    /// (one without a `type` is read as this contract, as older publishers sent it); so is one that does not decode.
    public func decoded<Message: Contract>(as type: Message.Type) throws -> Message {
        if let received = message.type, received != Message.contract {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "expected a \(Message.contract) message, not \(received)"))
        }
        return try MessageCoding.decode(Message.self, from: message.body)
    }
}

extension DeliveryConsumer {
    /// A consumer of one contract: every delivery is decoded before `handler` sees it, and one that no version of
    /// this code can read is dead-lettered with the reason — the one place where that decision is made.
    public init<Message: Contract>(
        connection: AMQPConnection, queue: String, prefetch: UInt16, deadExchange: String,
        publisher: AMQPConnection? = nil, maximumBytes: Int = DeliveryConsumer.defaultMaximumBytes, logger: Logger,
        reading type: Message.Type,
        handler: @escaping @Sendable (Message, AMQPDelivery) async -> DeliveryDisposition
    ) {
        self.init(
            connection: connection, queue: queue, prefetch: prefetch, deadExchange: deadExchange,
            publisher: publisher, maximumBytes: maximumBytes, logger: logger
        ) { delivery in
            let message: Message
            do {
                message = try delivery.decoded(as: Message.self)
            } catch {
                logger.error(
                    "unreadable message; dead-lettering it",
                    metadata: ["queue": "\(queue)", "contract": "\(Message.contract)", "error": "\(error)"])
                return .deadLetter(reason: ProcessingFailure.describe(error))
            }
            return await handler(message, delivery)
        }
    }
}
