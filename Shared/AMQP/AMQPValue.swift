/// The subset of AMQP field values Switchyard uses in headers and queue arguments, so callers never deal with
/// rabbitmq-c's tagged unions.
///
/// On the wire `.string` is a long string (`S`), `.int` a signed 64-bit integer (`l`, accepted by RabbitMQ for
/// integer arguments such as `x-delivery-limit` and `x-message-ttl`) and `.bool` a boolean (`t`). When reading,
/// every integer kind becomes `.int` and byte strings become `.string`; other kinds (tables, arrays, floats) are
/// dropped.
public enum AMQPValue: Sendable, Hashable {
    /// A UTF-8 string.
    case string(String)
    /// A signed 64-bit integer.
    case int(Int64)
    /// A boolean.
    case bool(Bool)
}
