import Foundation

/// The public contract of AMQP ingestion (`docs/amqp-ingestion.md`): a store backend publishes the same event JSON
/// as `POST /v1/events` to the ingestion exchange, as a broker user bound to its marketplace. It is versioned on
/// its own, so the internal trigger message (`TriggerMessage`) stays free to change.
public enum IngestContract {
    /// The AMQP `type` a published event carries.
    public static let type = "switchyard.event.v1"
    /// The largest body accepted, as for `POST /v1/events`.
    public static let maximumBodySize = 64 * 1024

    /// The marketplace a broker user publishes for: the user name is the marketplace id, optionally followed by
    /// `.` and a name of the store's choosing (`mkt_….orders`), so a marketplace can have several publishers and
    /// rotate their passwords one at a time. The broker refuses a message whose `user_id` property is not the
    /// publishing user, so the property names the marketplace only for a publisher who holds that user's password.
    public static func marketplaceID(forUser user: String) -> String? {
        let id = user.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
        guard let id, id.hasPrefix("mkt_"), id.count > 4, id.count <= 64 else { return nil }
        return id
    }

    /// Why a published message was refused before its event was read, in words for the log.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// No `user_id` property, or one that names no marketplace.
        case noMarketplace(user: String?)
        /// The `user_id` names a marketplace that does not exist.
        case unknownMarketplace(String)
        /// The `type` property is missing (nil) or is not `IngestContract.type`.
        case wrongType(String?)
        /// The body is larger than `maximumBodySize`; the value is its size in bytes.
        case tooLarge(Int)
        /// The `message_id` property differs from the event's id.
        case messageIDMismatch(messageID: String, eventID: String)
        /// The body is not a valid event.
        case invalidEvent(EventValidationError)

        /// The reason in words for the log entry, telling the publisher what to fix.
        public var description: String {
            switch self {
            case .noMarketplace(nil):
                "the message has no user_id property; set it to the broker user you publish as"
            case .noMarketplace(let user?):
                "the user_id \"\(user.sanitizedForLog(maximumLength: 100))\" names no marketplace (publisher users are "
                    + "named after their marketplace: mkt_… or mkt_….name)"
            case .unknownMarketplace(let id):
                "the marketplace \(id.sanitizedForLog(maximumLength: 100)) does not exist"
            case .wrongType(nil):
                "the message has no type property; set it to \(IngestContract.type)"
            case .wrongType(let type?):
                "the message type \"\(type.sanitizedForLog(maximumLength: 100))\" is not \(IngestContract.type)"
            case .tooLarge(let size):
                "the message is \(size) bytes; an event may be at most \(IngestContract.maximumBodySize / 1024) KiB"
            case .messageIDMismatch(let messageID, let eventID):
                "the message_id \"\(messageID.sanitizedForLog(maximumLength: 100))\" is not the event's id "
                    + "\"\(eventID.sanitizedForLog(maximumLength: 100))\""
            case .invalidEvent(let error):
                error.field.map { "\($0) \(error.message)" } ?? error.message
            }
        }
    }

    /// Checks a published message as the gateway checks `POST /v1/events` (the marketplace is the caller's to
    /// check), returning its event.
    public static func validated(type: String?, messageID: String?, body: [UInt8]) throws(Refusal) -> TriggerEvent {
        guard type == Self.type else { throw .wrongType(type) }
        guard body.count <= maximumBodySize else { throw .tooLarge(body.count) }
        let event: TriggerEvent
        do {
            event = try TriggerEvent.validated(from: body)
        } catch {
            throw .invalidEvent(error)
        }
        if let messageID, messageID != event.id {
            throw .messageIDMismatch(messageID: messageID, eventID: event.id)
        }
        return event
    }

    /// What can be read from a refused body for its log entry, however malformed it is: the event's id, type,
    /// customer email and test flag when they are there and of the right kind.
    public struct Salvage: Sendable, Equatable {
        /// The event's `id`, when it is a non-empty string.
        public var eventID: String?
        /// The event's `type`, when it names a known trigger.
        public var trigger: TriggerType?
        /// The `customer.email`, when it is a string (as sent, not trimmed or checked).
        public var customerEmail: String?
        /// The `test` flag; false unless the body holds `true`.
        public var test: Bool

        /// Creates a salvage with every field given.
        public init(eventID: String?, trigger: TriggerType?, customerEmail: String?, test: Bool) {
            self.eventID = eventID
            self.trigger = trigger
            self.customerEmail = customerEmail
            self.test = test
        }

        /// Reads what it can from a body; a body that is not a JSON object salvages nothing.
        public init(body: [UInt8]) {
            let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
            eventID = (object?["id"] as? String).flatMap { $0.isEmpty ? nil : $0 }
            trigger = (object?["type"] as? String).flatMap(TriggerType.init(rawValue:))
            customerEmail = (object?["customer"] as? [String: Any])?["email"] as? String
            test = object?["test"] as? Bool ?? false
        }
    }
}
