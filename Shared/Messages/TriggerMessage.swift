import Foundation

/// A trigger event accepted by the gateway, on its way to the matcher.
public struct TriggerMessage: Contract, Equatable {
    /// The contract name of a trigger message.
    public static let contract = "switchyard.trigger.v1"

    /// The marketplace that published the event.
    public var marketplaceID: String
    /// When the gateway accepted the event.
    public var receivedAt: Date
    /// The event as the store published it.
    public var event: TriggerEvent
    /// True when the message comes back from the delay queue: its trigger is due now (`prospect.created` fires
    /// hours after it happened). Absent, and so false, on every message the gateway publishes.
    public var delayed: Bool?
    /// On a delayed message: the rules whose log entries show `pending` while it waits, so that a rule removed or
    /// changed meanwhile still gets its entry closed.
    public var waitingRuleIDs: [String]?

    /// Creates a message with every field given; a message the gateway publishes leaves the delay fields nil.
    public init(
        marketplaceID: String, receivedAt: Date, event: TriggerEvent, delayed: Bool? = nil,
        waitingRuleIDs: [String]? = nil
    ) {
        self.marketplaceID = marketplaceID
        self.receivedAt = receivedAt
        self.event = event
        self.delayed = delayed
        self.waitingRuleIDs = waitingRuleIDs
    }

    /// Whether this message is a delayed trigger that is due now.
    public var isDue: Bool { delayed ?? false }

    /// The broker message id: unique per marketplace and event, so duplicates are recognisable.
    public var messageID: String { Self.messageID(marketplaceID: marketplaceID, eventID: event.id) }

    /// The broker message id of an event of a marketplace (see `messageID`).
    public static func messageID(marketplaceID: String, eventID: String) -> String { "\(marketplaceID)/\(eventID)" }

    /// The broker body of a trigger the gateway accepted, built around the event's JSON exactly as the store sent
    /// it. The gateway has decoded (and so validated) those bytes with the decoder the matcher uses, so it
    /// forwards them rather than encoding the decoded event again; the body decodes like
    /// `TriggerMessage(marketplaceID:receivedAt:event:)` with that event. Bytes that cannot stand inside another
    /// JSON document as they are (UTF-16 or UTF-32 text, a byte order mark, a raw or escaped NUL) are not
    /// forwarded: then the decoded event is encoded.
    public static func encoded(
        marketplaceID: String, receivedAt: Date, event: TriggerEvent, eventJSON: some Collection<UInt8>
    ) throws -> [UInt8] {
        guard isEmbeddableObject(eventJSON) else {
            return try MessageCoding.encode(
                TriggerMessage(marketplaceID: marketplaceID, receivedAt: receivedAt, event: event))
        }
        // The members in the order the encoder writes them (sorted keys), so both forms read alike in a queue.
        let marketplace = try MessageCoding.encode(marketplaceID)
        let received = try MessageCoding.encode(receivedAt)
        var body: [UInt8] = []
        body.reserveCapacity(eventJSON.count + marketplace.count + received.count + 40)
        body.append(contentsOf: #"{"event":"#.utf8)
        body.append(contentsOf: eventJSON)
        body.append(contentsOf: #","marketplace_id":"#.utf8)
        body.append(contentsOf: marketplace)
        body.append(contentsOf: #","received_at":"#.utf8)
        body.append(contentsOf: received)
        body.append(UInt8(ascii: "}"))
        return body
    }

    /// Whether decoded JSON bytes are a UTF-8 object that can be a member's value as they are: the first byte
    /// after whitespace opens an object, no byte is NUL (text in UTF-16 or UTF-32, which the decoder also
    /// accepts, has NUL bytes in every ASCII character), and no string has an escaped NUL (`\u0000`). Validation
    /// refuses that escape in the event's own fields, but a field the decoder skipped may still carry it, and
    /// PostgreSQL refuses it in `jsonb`: re-encoding drops such fields.
    static func isEmbeddableObject(_ json: some Collection<UInt8>) -> Bool {
        let whitespace: [UInt8] = [0x20, 0x09, 0x0A, 0x0D]
        guard let first = json.first(where: { !whitespace.contains($0) }), first == UInt8(ascii: "{") else {
            return false
        }
        return json.withContiguousStorageIfAvailable(hasNoNUL) ?? Array(json).withUnsafeBufferPointer(hasNoNUL)
    }

    /// Whether JSON bytes have neither a NUL byte nor a `\u0000` escape. An escape's second character is
    /// skipped, so an escaped backslash followed by `u0000` (the text `\u0000`) is not taken for one.
    private static func hasNoNUL(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let backslash = UInt8(ascii: "\\")
        let zero = UInt8(ascii: "0")
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0 { return false }
            if byte == backslash {
                if index + 5 < bytes.count, bytes[index + 1] == UInt8(ascii: "u"), bytes[index + 2] == zero,
                    bytes[index + 3] == zero, bytes[index + 4] == zero, bytes[index + 5] == zero
                {
                    return false
                }
                index += 2
            } else {
                index += 1
            }
        }
        return true
    }

    enum CodingKeys: String, CodingKey {
        case event, delayed
        case marketplaceID = "marketplace_id"
        case receivedAt = "received_at"
        case waitingRuleIDs = "waiting_rule_ids"
    }
}
