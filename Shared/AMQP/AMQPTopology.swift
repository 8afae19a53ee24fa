/// The exchanges, queues and bindings a process needs; declared on every (re)connect so a broker that lost its
/// definitions (or a fresh one) is usable without manual setup. Everything is declared durable.
public struct AMQPTopology: Sendable {
    /// The AMQP exchange types.
    public enum ExchangeType: String, Sendable {
        /// Routes on exact routing-key match.
        case direct
        /// Routes to every bound queue.
        case fanout
        /// Routes on routing-key patterns.
        case topic
        /// Routes on header values.
        case headers
    }

    /// A durable exchange.
    public struct Exchange: Sendable {
        /// The exchange name.
        public var name: String
        /// How the exchange routes.
        public var type: ExchangeType
        /// Describes a durable exchange to declare.
        public init(name: String, type: ExchangeType) {
            self.name = name
            self.type = type
        }
    }

    /// A durable queue; `arguments` carry queue type, dead-lettering, limits and TTLs (`x-queue-type`, ...).
    public struct Queue: Sendable {
        /// The queue name.
        public var name: String
        /// `x-` arguments; they must match any existing queue of the same name or the declaration fails.
        public var arguments: [String: AMQPValue]
        /// Describes a durable queue to declare.
        public init(name: String, arguments: [String: AMQPValue] = [:]) {
            self.name = name
            self.arguments = arguments
        }
    }

    /// A queue-to-exchange binding.
    public struct Binding: Sendable {
        /// The bound queue.
        public var queue: String
        /// The source exchange.
        public var exchange: String
        /// The binding key.
        public var routingKey: String
        /// Describes a binding to declare.
        public init(queue: String, exchange: String, routingKey: String) {
            self.queue = queue
            self.exchange = exchange
            self.routingKey = routingKey
        }
    }

    /// Exchanges, declared first.
    public var exchanges: [Exchange]
    /// Queues, declared after exchanges.
    public var queues: [Queue]
    /// Bindings, declared last.
    public var bindings: [Binding]

    /// Describes a topology; an empty one declares nothing.
    public init(exchanges: [Exchange] = [], queues: [Queue] = [], bindings: [Binding] = []) {
        self.exchanges = exchanges
        self.queues = queues
        self.bindings = bindings
    }
}
