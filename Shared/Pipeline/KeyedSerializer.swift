/// Runs work for the same key one at a time within a process. Two deliveries of one message (a store that
/// publishes an id twice, a redelivery racing the original) then see each other's result instead of both
/// acting: the second one finds the event processed, or the action completed, and only acks.
/// `KeyedSerializer()` is a `KeyedLimiter` with its default limit of 1.
public typealias KeyedSerializer = KeyedLimiter
