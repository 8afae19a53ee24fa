/// A versioned message that crosses the broker. The `contract` name travels as the AMQP `type` property, so a
/// consumer can refuse a message it does not understand instead of misreading it.
public protocol Contract: Codable, Sendable {
    /// Name and version, e.g. `switchyard.trigger.v1`. A breaking change gets a new version.
    static var contract: String { get }
}
