// The C client is this module's own business: nothing it declares leaks into AMQP's interface.
internal import CRabbitMQ
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A FIFO of publishes that wait for room in the confirm window; O(1) append and pop.
struct PublishQueue {
    /// Slots; popped or expired ones are nil.
    private var items: [PublishRequest?] = []
    /// Index of the oldest slot still in use.
    private var head = 0
    /// Number of non-nil slots.
    private(set) var count = 0

    /// Adds a publish at the end.
    mutating func append(_ request: PublishRequest) {
        items.append(request)
        count += 1
    }

    /// The oldest publish, left in place.
    var first: PublishRequest? {
        var index = head
        while index < items.count {
            if let item = items[index] { return item }
            index += 1
        }
        return nil
    }

    /// Removes the oldest publish.
    mutating func popFirst() -> PublishRequest? {
        while head < items.count {
            let item = items[head]
            items[head] = nil
            head += 1
            if let item {
                count -= 1
                compactIfNeeded()
                return item
            }
        }
        compactIfNeeded()
        return nil
    }

    /// Removes and returns the publishes whose deadline passed.
    mutating func removeExpired(now: ContinuousClock.Instant) -> [PublishRequest] {
        var expired: [PublishRequest] = []
        for index in head..<items.count {
            if let item = items[index], item.deadline <= now {
                expired.append(item)
                items[index] = nil
                count -= 1
            }
        }
        return expired
    }

    /// Removes everything.
    mutating func removeAll() -> [PublishRequest] {
        let all = items[head...].compactMap { $0 }
        items = []
        head = 0
        count = 0
        return all
    }

    /// Drops consumed slots once they dominate the array.
    private mutating func compactIfNeeded() {
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 4096 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
    }
}

/// Why a rabbitmq-c RPC failed: only the channel is gone, or the whole connection.
enum RPCFailure: Error {
    /// The broker closed the channel (close-ok already sent); the connection is usable.
    case channel(String)
    /// The connection is unusable.
    case connection(String)
}

/// The connection thread's state machine. Every rabbitmq-c call of a connection happens here, on the thread
/// that created this object; it is deliberately not `Sendable` and never leaves that thread.
final class ConnectionLoop {
    /// The channel used for topology and publishing (in confirm mode).
    private static let publisherChannel: UInt16 = 1
    /// Requested SO_SNDBUF; the kernel caps it (net.core.wmem_max).
    private static let sendBufferBytes: Int32 = 4 << 20

    /// Shared state: commands in, status out.
    private let core: ConnectionCore
    /// Connection settings.
    private let configuration: AMQPConfiguration
    /// Declared on every connect.
    private let topology: AMQPTopology
    /// Where events are reported.
    private let logger: Logger
    /// Scratch memory for C arguments.
    private let arena = CArena()

    /// The live connection, if any.
    private var connection: amqp_connection_state_t?
    /// Incremented per successful connect; acks from older generations are dropped.
    private var generation: UInt64 = 0
    /// Set once shutdown was requested.
    private var stopRequested = false
    /// Next channel number to hand to a consumer in this connection.
    private var nextChannel: UInt16 = 2
    /// Channels currently open in this connection; acks for others are dropped rather than upsetting the broker.
    private var openChannels: Set<UInt16> = []
    /// Between `connection.blocked` and `connection.unblocked`: nothing is published (the broker would stop
    /// reading the socket on the first publish) and queued publishes fail with `.blocked`.
    private var blocked = false
    /// Commands that write a frame of their own (rejects, acks of unknown tags, cancels) held back for lack of
    /// room in the send queue; handled before newer commands.
    private var deferred: [ConnectionCommand] = []
    /// What may be written in the current turn of `serve()`.
    private var budget = WriteBudget.unlimited
    /// Whether this turn held a write back for lack of room: the loop then looks again in a few milliseconds
    /// (POLLOUT would fire long before there is room) instead of spinning or sleeping.
    private var heldBack = false

    /// Publishes waiting for room in the confirm window.
    private var waiting = PublishQueue()
    /// Sent, unconfirmed publishes of the publisher channel (`ConfirmTracker`: the confirm state machine).
    private var confirms = ConfirmTracker<CheckedContinuation<Void, any Error>>()
    /// Counter for internal message ids of publishes without one.
    private var internalIDCounter: UInt64 = 0
    /// When timeouts were last checked.
    private var lastTimeoutScan = ContinuousClock.now

    /// The consumers, and which channel each consumes on.
    private var consumers = ConsumerRegistry()
    /// Contents being reassembled, by channel.
    private var assembler = ContentAssembler()
    /// Unsettled deliveries per consumer channel, to coalesce acks.
    private var windows: [UInt16: DeliveryWindow] = [:]

    /// Creates the loop; called on the connection thread.
    init(core: ConnectionCore, configuration: AMQPConfiguration, topology: AMQPTopology, logger: Logger) {
        self.core = core
        self.configuration = configuration
        self.topology = topology
        var logger = logger
        logger[metadataKey: "amqp.connection"] = "\(configuration.connectionName)"
        self.logger = logger
    }

    // MARK: - Life cycle

    /// Connects, serves, reconnects with backoff until shutdown is requested, then shuts down.
    func run() {
        var attempt = 0
        var inOutage = false
        let endpoint = "\(configuration.host):\(configuration.port)"
        while !stopRequested {
            switch connect() {
            case nil:
                if inOutage {
                    logger.info("AMQP: connected to \(endpoint) after \(attempt) failed attempt(s)")
                } else {
                    logger.debug("AMQP: connected to \(endpoint)")
                }
                attempt = 0
                inOutage = false
                guard let reason = serve() else { break }
                connectionLost(reason: reason)
                logger.warning("AMQP: connection to \(endpoint) lost (\(reason)); reconnecting")
                inOutage = true
            case let reason?:
                if inOutage {
                    logger.debug("AMQP: reconnect attempt \(attempt + 1) to \(endpoint) failed: \(reason)")
                } else {
                    logger.warning("AMQP: cannot connect to \(endpoint) (\(reason)); retrying with backoff")
                    inOutage = true
                }
            }
            if stopRequested { break }
            sleepOffline(for: backoff(attempt: attempt))
            attempt += 1
        }
        shutdown()
    }

    /// Exponential backoff with jitter (50–100 % of the nominal delay), capped at `maximumBackoff`.
    private func backoff(attempt: Int) -> Duration {
        let initial = max(configuration.initialBackoff, .milliseconds(1))
        var delay = initial
        for _ in 0..<min(attempt, 30) where delay < configuration.maximumBackoff {
            delay *= 2
        }
        delay = min(delay, configuration.maximumBackoff)
        return delay * Double.random(in: 0.5...1.0)
    }

    /// Waits without a connection while still answering commands, so shutdown is quick and consumers can be
    /// registered.
    private func sleepOffline(for delay: Duration) {
        let until = ContinuousClock.now.advanced(by: delay)
        while !stopRequested {
            processCommandsOffline()
            if stopRequested { return }
            let remaining = ContinuousClock.now.duration(to: until)
            guard remaining > .zero else { return }
            let milliseconds = Int32(min(100, max(1, remaining.milliseconds)))
            var fd = pollfd(fd: core.wakeReadFD, events: Int16(POLLIN), revents: 0)
            if poll(&fd, 1, milliseconds) > 0 { core.drainWakePipe() }
        }
    }

    /// Opens the socket, logs in, declares the topology, enables confirms and starts consumers.
    /// Returns nil on success or why it failed.
    private func connect() -> String? {
        guard let conn = amqp_new_connection() else { return "cannot allocate connection" }
        let socket: OpaquePointer
        switch makeSocket(conn) {
        case .success(let made): socket = made
        case .failure(let failure):
            amqp_destroy_connection(conn)
            return failure.description
        }
        var openTimeout = timeval(tv_sec: 5, tv_usec: 0)
        let status = amqp_socket_open_noblock(socket, configuration.host, Int32(configuration.port), &openTimeout)
        guard status == AMQP_STATUS_OK.rawValue else {
            amqp_destroy_connection(conn)
            let what = configuration.tls == nil ? "socket" : "TLS connection"
            return "cannot open \(what): \(Self.statusString(status))"
        }
        // A fixed, generous send queue: the room `WriteBudget` sees does not shrink to autotuning's first 16 KB.
        sy_socket_set_send_buffer(amqp_get_sockfd(conn), Self.sendBufferBytes)
        var handshakeTimeout = timeval(tv_sec: 10, tv_usec: 0)
        _ = amqp_set_handshake_timeout(conn, &handshakeTimeout)
        var rpcTimeout = timeval(tv_sec: 30, tv_usec: 0)
        _ = amqp_set_rpc_timeout(conn, &rpcTimeout)

        // Sub-second heartbeats round up to one second; zero (or less) disables them.
        let heartbeat =
            configuration.heartbeat > .zero
            ? Int32(clamping: max(1, configuration.heartbeat.components.seconds)) : 0
        // Without the `connection.blocked` capability the broker blocks the connection silently.
        var properties = arena.table(
            ["connection_name": .string(configuration.connectionName)],
            tables: ["capabilities": ["connection.blocked": .bool(true)]])
        let reply = sy_login_plain_properties(
            conn, arena.cString(configuration.virtualHost), 0, 131_072, heartbeat, &properties,
            arena.cString(configuration.username), arena.cString(configuration.password))
        arena.reset()
        connection = conn
        if case .failure(let failure) = check(reply, channel: 0, context: "login") {
            teardown(graceful: false)
            return failure.description
        }

        generation += 1
        nextChannel = 2
        openChannels = []
        blocked = false
        deferred = []
        do {
            try openChannel(Self.publisherChannel)
            try declareTopology()
            try enableConfirms()
            for consumer in consumers.inStartOrder {
                try start(consumer)
            }
        } catch {
            teardown(graceful: true)
            return error.description
        }
        core.setConnected(true)
        return nil
    }

    /// A TCP socket, or with `configuration.tls` an OpenSSL one with its CA, client key and verification set.
    private func makeSocket(_ conn: amqp_connection_state_t) -> Result<OpaquePointer, RPCFailure> {
        guard let tls = configuration.tls else {
            guard let socket = amqp_tcp_socket_new(conn) else { return .failure(.connection("cannot allocate socket")) }
            return .success(socket)
        }
        guard let socket = amqp_ssl_socket_new(conn) else {
            return .failure(.connection("cannot allocate a TLS socket"))
        }
        if let caFile = tls.caFile ?? AMQPConfiguration.TLS.systemCAFile {
            let status = amqp_ssl_socket_set_cacert(socket, caFile)
            guard status == AMQP_STATUS_OK.rawValue else {
                return .failure(.connection("cannot load the CA file \(caFile): \(Self.statusString(status))"))
            }
        }
        if let certificateFile = tls.certificateFile, let keyFile = tls.keyFile {
            let status = amqp_ssl_socket_set_key(socket, certificateFile, keyFile)
            guard status == AMQP_STATUS_OK.rawValue else {
                return .failure(
                    .connection(
                        "cannot load the client certificate \(certificateFile): \(Self.statusString(status))"))
            }
        }
        amqp_ssl_socket_set_verify_peer(socket, tls.verifyPeer ? 1 : 0)
        amqp_ssl_socket_set_verify_hostname(socket, tls.verifyHostname ? 1 : 0)
        return .success(socket)
    }

    /// Closes (if asked) and frees the connection.
    private func teardown(graceful: Bool) {
        guard let conn = connection else { return }
        if graceful {
            _ = amqp_connection_close(conn, AMQP_REPLY_SUCCESS)
        }
        amqp_destroy_connection(conn)
        connection = nil
        openChannels = []
        windows = [:]
    }

    /// Fails everything in flight with `.connectionLost` and forgets per-connection state; consumers stay
    /// registered and restart on the next connect.
    private func connectionLost(reason: String) {
        core.setConnected(false)
        processCommandsOffline()
        let error = AMQPError(code: .connectionLost, message: "connection lost before the confirm: \(reason)")
        failAllPublishes(with: error)
        consumers.connectionLost()
        assembler.discardAll()
        teardown(graceful: false)
    }

    /// Final shutdown: flushes queued acks, fails publishes with `.closed`, closes channels and the connection,
    /// and ends every consumer stream.
    private func shutdown() {
        let commands = deferred + core.closeForShutdown()
        deferred = []
        if let conn = connection { budget = Self.writeBudget(amqp_get_sockfd(conn)) }
        for command in commands {
            if let reason = handle(command, closing: true) {
                logger.debug("AMQP: error while flushing commands at shutdown: \(reason)")
                connectionLost(reason: reason)
                break
            }
        }
        if connection != nil, let reason = flushAcks() {
            logger.debug("AMQP: error while flushing acks at shutdown: \(reason)")
            connectionLost(reason: reason)
        }
        failAllPublishes(with: AMQPError(code: .closed, message: "the connection was shut down"))
        if let conn = connection {
            // A blocked connection is not read by the broker: one close that gives up after a second (closing the
            // connection closes its channels) rather than a wait for every channel's close-ok.
            var closeTimeout = timeval(tv_sec: blocked ? 1 : 5, tv_usec: 0)
            _ = amqp_set_rpc_timeout(conn, &closeTimeout)
            for channel in openChannels.sorted(by: >) where !blocked {
                _ = amqp_channel_close(conn, channel, AMQP_REPLY_SUCCESS)
            }
            openChannels = []
            teardown(graceful: true)
        }
        consumers.finishAll()
        logger.debug("AMQP: connection closed")
    }

    // MARK: - Serving

    /// The connected loop. Returns nil when shutdown was requested, or why the connection was lost.
    private func serve() -> String? {
        guard let conn = connection else { return "no connection" }
        let socketFD = amqp_get_sockfd(conn)
        var fds = [
            pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: core.wakeReadFD, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let (new, stop) = core.takeCommands()
            let commands = deferred.isEmpty ? new : deferred + new
            deferred = []
            budget = Self.writeBudget(socketFD)
            heldBack = false
            // Several frames to write: hold them in the socket until all are written, so that the publishes and
            // acks of one iteration leave in a few full packets instead of one small packet (and one wake-up of
            // the broker) each.
            let cork = !stop && commands.count + waiting.count > 1
            if cork { sy_socket_cork(socketFD, 1) }
            var failure = handleAll(commands) ?? flushAcks()
            if failure == nil && !stop { failure = flushPublishes() }
            if cork { sy_socket_cork(socketFD, 0) }
            if let failure { return failure }
            if stop {
                stopRequested = true
                return nil
            }
            expireTimeouts()

            if amqp_frames_enqueued(conn) == 0 && amqp_data_in_buffer(conn) == 0 {
                amqp_maybe_release_buffers(conn)
                let canPublish =
                    !blocked && !heldBack && waiting.count > 0
                    && confirms.count < configuration.confirmWindow
                fds[0].revents = 0
                fds[1].revents = 0
                let ready = poll(&fds, nfds_t(fds.count), heldBack ? 5 : canPublish ? 0 : 100)
                if ready < 0 && errno != EINTR { return "poll failed: errno \(errno)" }
                if fds[1].revents != 0 { core.drainWakePipe() }
            }
            // Always call into rabbitmq-c here, even when nothing is readable: it sends heartbeats and detects
            // missed ones inside its wait functions.
            if let reason = readFrames(limit: 512) { return reason }
        }
    }

    /// The room in the socket's send queue now.
    private static func writeBudget(_ socketFD: Int32) -> WriteBudget {
        var capacity = 0
        var queued = 0
        guard socketFD >= 0, sy_socket_send_queue(socketFD, &capacity, &queued) != 0 else { return .unlimited }
        return WriteBudget(capacity: capacity, queued: queued)
    }

    /// Reads and dispatches up to `limit` frames that are available right now.
    private func readFrames(limit: Int) -> String? {
        for _ in 0..<limit {
            guard let conn = connection else { return "no connection" }
            var frame = amqp_frame_t()
            var immediately = timeval(tv_sec: 0, tv_usec: 0)
            let status = amqp_simple_wait_frame_noblock(conn, &frame, &immediately)
            if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
            guard status == AMQP_STATUS_OK.rawValue else {
                if status == AMQP_STATUS_HEARTBEAT_TIMEOUT.rawValue { return "missed heartbeats" }
                return Self.statusString(status)
            }
            if let reason = dispatch(frame) { return reason }
        }
        return nil
    }

    /// Handles commands in order; returns a reason if the connection broke while doing so.
    private func handleAll(_ commands: [ConnectionCommand]) -> String? {
        for command in commands {
            if let reason = handle(command, closing: false) { return reason }
        }
        return nil
    }

    /// Sends the acks noted since the last call: per channel one `multiple` ack for the oldest deliveries that
    /// are all settled, single acks for the rest (see `DeliveryWindow`).
    private func flushAcks() -> String? {
        guard let conn = connection else { return nil }
        for channel in Array(windows.keys) where windows[channel]?.hasAcks == true {
            // Left noted in the window when they do not fit; a later turn sends them (coalesced further).
            guard let count = windows[channel]?.ackCount, budget.admitControl(count: count) else {
                heldBack = true
                continue
            }
            guard let acks = windows[channel]?.takeAcks() else { continue }
            if let through = acks.through {
                let status = amqp_basic_ack(conn, channel, through, 1)
                if status != AMQP_STATUS_OK.rawValue { return "ack failed: \(Self.statusString(status))" }
            }
            for tag in acks.singles {
                let status = amqp_basic_ack(conn, channel, tag, 0)
                if status != AMQP_STATUS_OK.rawValue { return "ack failed: \(Self.statusString(status))" }
            }
        }
        return nil
    }

    /// Handles one command; returns a reason if the connection broke while doing so. Acks of known deliveries
    /// are only noted here and sent by `flushAcks()`.
    private func handle(_ command: ConnectionCommand, closing: Bool) -> String? {
        switch command {
        case .publish(let request):
            if closing {
                request.continuation.resume(throwing: AMQPError(code: .closed, message: "the connection was shut down"))
            } else {
                waiting.append(request)
            }
        case .ack(let channel, let tag, let generation):
            guard let conn = connection, generation == self.generation, openChannels.contains(channel) else {
                return nil
            }
            if windows[channel]?.ack(tag) == true { return nil }
            guard admitControl(command, closing: closing) else { return nil }
            let status = amqp_basic_ack(conn, channel, tag, 0)
            if status != AMQP_STATUS_OK.rawValue { return "ack failed: \(Self.statusString(status))" }
        case .reject(let channel, let tag, let generation, let requeue):
            guard let conn = connection, generation == self.generation, openChannels.contains(channel) else {
                return nil
            }
            guard admitControl(command, closing: closing) else { return nil }
            let status = amqp_basic_reject(conn, channel, tag, requeue ? 1 : 0)
            if status != AMQP_STATUS_OK.rawValue { return "reject failed: \(Self.statusString(status))" }
            windows[channel]?.settledAlone(tag)
        case .addConsumer(let registration):
            let consumer = ConsumerState(registration)
            if closing {
                consumer.continuation.finish()
                return nil
            }
            consumers.register(consumer)
            do {
                try start(consumer)
            } catch {
                return error.description
            }
        case .cancelConsumer(let id):
            guard admitControl(command, closing: closing) else { return nil }
            return cancel(consumerID: id)
        }
        return nil
    }

    /// Whether a command's frame fits in the send queue now; if not, it waits for a later turn, or at shutdown is
    /// dropped (the broker redelivers what was not settled).
    private func admitControl(_ command: ConnectionCommand, closing: Bool) -> Bool {
        if budget.admitControl() { return true }
        heldBack = true
        if closing {
            logger.debug("AMQP: the send queue is full at shutdown; dropping an ack, reject or cancel")
        } else {
            deferred.append(command)
        }
        return false
    }

    /// Handles commands while there is no connection: publishes fail, acks are dropped (the broker will
    /// redeliver), consumer registrations are kept for the next connect.
    private func processCommandsOffline() {
        let (commands, stop) = core.takeCommands()
        if stop { stopRequested = true }
        for command in commands {
            switch command {
            case .publish(let request):
                request.continuation.resume(
                    throwing: AMQPError(
                        code: .connectionLost, message: "the connection was lost before the message was sent"))
            case .ack, .reject:
                break
            case .addConsumer(let registration):
                consumers.register(ConsumerState(registration))
            case .cancelConsumer(let id):
                if let consumer = consumers.consumer(id: id) { consumers.finish(consumer) }
            }
        }
    }

    // MARK: - Channels, topology, consumers

    /// Opens a channel.
    private func openChannel(_ channel: UInt16) throws(RPCFailure) {
        guard let conn = connection else { throw .connection("no connection") }
        _ = amqp_channel_open(conn, channel)
        try check(amqp_get_rpc_reply(conn), channel: channel, context: "channel.open").get()
        openChannels.insert(channel)
    }

    /// Puts the publisher channel in confirm mode and resets sequence numbering.
    private func enableConfirms() throws(RPCFailure) {
        guard let conn = connection else { throw .connection("no connection") }
        _ = amqp_confirm_select(conn, Self.publisherChannel)
        try check(amqp_get_rpc_reply(conn), channel: Self.publisherChannel, context: "confirm.select").get()
        confirms.restart()
    }

    /// Declares exchanges, queues and bindings on the publisher channel (idempotent).
    private func declareTopology() throws(RPCFailure) {
        guard let conn = connection else { throw .connection("no connection") }
        let channel = Self.publisherChannel
        let empty = amqp_table_t(num_entries: 0, entries: nil)
        for exchange in topology.exchanges {
            _ = amqp_exchange_declare(
                conn, channel, arena.bytes(exchange.name), arena.bytes(exchange.type.rawValue),
                0, 1, 0, 0, empty)
            arena.reset()
            try check(amqp_get_rpc_reply(conn), channel: channel, context: "declare exchange \(exchange.name)").get()
        }
        for queue in topology.queues {
            _ = amqp_queue_declare(conn, channel, arena.bytes(queue.name), 0, 1, 0, 0, arena.table(queue.arguments))
            arena.reset()
            try check(amqp_get_rpc_reply(conn), channel: channel, context: "declare queue \(queue.name)").get()
        }
        for binding in topology.bindings {
            _ = amqp_queue_bind(
                conn, channel, arena.bytes(binding.queue), arena.bytes(binding.exchange),
                arena.bytes(binding.routingKey), empty)
            arena.reset()
            let context = "bind \(binding.queue) to \(binding.exchange) (\(binding.routingKey))"
            try check(amqp_get_rpc_reply(conn), channel: channel, context: context).get()
        }
    }

    /// Starts a consumer on a fresh channel. A channel-level failure (e.g. the queue does not exist) ends that
    /// consumer's stream; only connection-level failures are thrown.
    private func start(_ consumer: ConsumerState) throws(RPCFailure) {
        guard let conn = connection else { throw .connection("no connection") }
        let channel = nextChannel
        nextChannel &+= 1
        var tag: String?
        do {
            try openChannel(channel)
            _ = amqp_basic_qos(conn, channel, 0, consumer.prefetch, 0)
            try check(amqp_get_rpc_reply(conn), channel: channel, context: "basic.qos").get()
            let empty = amqp_table_t(num_entries: 0, entries: nil)
            let ok = amqp_basic_consume(
                conn, channel, arena.bytes(consumer.queue), amqp_bytes_t(len: 0, bytes: nil),
                0, 0, 0, empty)
            arena.reset()
            try check(amqp_get_rpc_reply(conn), channel: channel, context: "consume \(consumer.queue)").get()
            tag = ok?.pointee.consumer_tag.string
        } catch {
            if case .channel(let reason) = error {
                openChannels.remove(channel)
                logger.error("AMQP: cannot consume \(consumer.queue): \(reason); ending the consumer")
                consumers.finish(consumer)
                return
            }
            throw error
        }
        consumers.started(
            consumer, on: channel, tag: tag,
            context: DeliveryContext(core: core, channel: channel, generation: generation))
    }

    /// Sends `basic.cancel`; the stream ends on `cancel-ok`. Without a channel the stream ends at once.
    private func cancel(consumerID: UInt64) -> String? {
        guard let consumer = consumers.consumer(id: consumerID), !consumer.cancelling else { return nil }
        consumer.cancelling = true
        guard let conn = connection, let channel = consumer.channel, let tag = consumer.tag else {
            consumers.finish(consumer)
            return nil
        }
        let status = sy_send_basic_cancel(conn, channel, arena.bytes(tag))
        arena.reset()
        if status != AMQP_STATUS_OK.rawValue { return "basic.cancel failed: \(Self.statusString(status))" }
        return nil
    }

    // MARK: - Publishing

    /// Sends waiting publishes while the confirm window and the socket's send queue have room. While the
    /// broker blocks the connection, they fail with `.blocked` instead (they got in before it said so).
    private func flushPublishes() -> String? {
        if blocked {
            failWaiting(with: blockedError())
            return nil
        }
        var sent = 0
        let now = ContinuousClock.now
        while sent < 1024, confirms.count < configuration.confirmWindow, let request = waiting.first {
            if request.deadline <= now {
                _ = waiting.popFirst()
                request.continuation.resume(
                    throwing: AMQPError(
                        code: .timeout, message: "no room in the confirm window before the timeout; not sent"))
                continue
            }
            let message = request.message
            let messageID = message.messageID ?? "switchyard-internal-\(internalIDCounter + 1)"
            let bytes = message.encodedSizeBound(
                exchange: request.exchange, routingKey: request.routingKey,
                messageID: messageID)
            // Stays first in line until the peer has read enough; its deadline still applies meanwhile.
            guard budget.admitPublish(bytes: bytes) else {
                heldBack = true
                return nil
            }
            _ = waiting.popFirst()
            if let reason = send(request) { return reason }
            sent += 1
        }
        return nil
    }

    /// The error of publishes refused while the broker blocks the connection.
    private func blockedError() -> AMQPError {
        let reason = core.blockedReason ?? "resource alarm"
        return AMQPError(code: .blocked, message: "the broker blocked publishing (\(reason)); the message was not sent")
    }

    /// Fails the publishes that were not sent yet.
    private func failWaiting(with error: AMQPError) {
        for request in waiting.removeAll() {
            request.continuation.resume(throwing: error)
        }
    }

    /// Publishes one message (mandatory, with properties) and records it as unconfirmed.
    private func send(_ request: PublishRequest) -> String? {
        guard let conn = connection else {
            request.continuation.resume(throwing: AMQPError(code: .connectionLost, message: "no connection"))
            return "no connection"
        }
        let message = request.message
        let messageID: String
        if let id = message.messageID {
            messageID = id
        } else {
            internalIDCounter += 1
            messageID = "switchyard-internal-\(internalIDCounter)"
        }
        var properties = amqp_basic_properties_t()
        var flags = sy_flag_message_id() | sy_flag_delivery_mode()
        properties.message_id = arena.bytes(messageID)
        properties.delivery_mode = message.persistent ? 2 : 1
        if let contentType = message.contentType {
            properties.content_type = arena.bytes(contentType)
            flags |= sy_flag_content_type()
        }
        if let type = message.type {
            properties.type = arena.bytes(type)
            flags |= sy_flag_type()
        }
        if let correlationID = message.correlationID {
            properties.correlation_id = arena.bytes(correlationID)
            flags |= sy_flag_correlation_id()
        }
        if let replyTo = message.replyTo {
            properties.reply_to = arena.bytes(replyTo)
            flags |= sy_flag_reply_to()
        }
        if let userID = message.userID {
            properties.user_id = arena.bytes(userID)
            flags |= sy_flag_user_id()
        }
        if let expiration = message.expiration {
            properties.expiration = arena.bytes(String(max(0, expiration.milliseconds)))
            flags |= sy_flag_expiration()
        }
        if !message.headers.isEmpty {
            properties.headers = arena.table(message.headers)
            flags |= sy_flag_headers()
        }
        properties._flags = flags
        let exchange = arena.bytes(request.exchange)
        let routingKey = arena.bytes(request.routingKey)
        let status = message.body.withUnsafeBytes { body in
            let bytes = amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress))
            return amqp_basic_publish(conn, Self.publisherChannel, exchange, routingKey, 1, 0, &properties, bytes)
        }
        arena.reset()
        guard status == AMQP_STATUS_OK.rawValue else {
            let reason = "publish failed: \(Self.statusString(status))"
            request.continuation.resume(throwing: AMQPError(code: .connectionLost, message: reason))
            return reason
        }
        confirms.sent(messageID: messageID, deadline: request.deadline, waiter: request.continuation)
        return nil
    }

    /// Answers the publishers of what the broker acked or nacked.
    private func confirm(tag: UInt64, multiple: Bool, nacked: Bool) {
        for (continuation, settlement) in confirms.confirm(tag: tag, multiple: multiple, nacked: nacked) {
            switch settlement {
            case .confirmed:
                continuation.resume()
            case .returned(let reason):
                continuation.resume(throwing: AMQPError(code: .returned, message: "message was returned: \(reason)"))
            case .nacked:
                continuation.resume(throwing: AMQPError(code: .nacked, message: "the broker nacked the message"))
            }
        }
    }

    /// Marks the oldest unconfirmed publish with this message id as returned.
    private func markReturned(messageID: String?, reason: String) {
        if !confirms.returned(messageID: messageID, reason: reason) {
            logger.warning("AMQP: a returned message matches no pending publish (\(reason))")
        }
    }

    /// Resumes callers whose timeout passed; confirmed-later entries are cleaned up when the confirm arrives.
    private func expireTimeouts() {
        let now = ContinuousClock.now
        guard now - lastTimeoutScan >= .milliseconds(50) else { return }
        lastTimeoutScan = now
        let error = AMQPError(code: .timeout, message: "no publisher confirm before the timeout")
        for continuation in confirms.expire(now: now) {
            continuation.resume(throwing: error)
        }
        for request in waiting.removeExpired(now: now) {
            request.continuation.resume(
                throwing: AMQPError(
                    code: .timeout, message: "no room in the confirm window before the timeout; not sent"))
        }
    }

    /// Fails waiting and unconfirmed publishes and resets confirm tracking.
    private func failAllPublishes(with error: AMQPError) {
        failWaiting(with: error)
        failUnconfirmed(with: error)
    }

    /// Fails unconfirmed publishes (their channel is gone) and resets confirm tracking.
    private func failUnconfirmed(with error: AMQPError) {
        for continuation in confirms.failAll() {
            continuation.resume(throwing: error)
        }
    }

    // MARK: - Frames

    /// Handles one frame; returns a reason if the connection is lost.
    private func dispatch(_ frame: amqp_frame_t) -> String? {
        let channel = frame.channel
        switch Int32(frame.frame_type) {
        case AMQP_FRAME_METHOD:
            return handleMethod(frame.payload.method, channel: channel)
        case AMQP_FRAME_HEADER:
            guard assembler.isAssembling(on: channel) else { return nil }
            var properties = AMQPMessage(body: [], contentType: nil)
            if let decoded = frame.payload.properties.decoded {
                Self.read(decoded.assumingMemoryBound(to: amqp_basic_properties_t.self).pointee, into: &properties)
            }
            let size = Int(frame.payload.properties.body_size)
            if let content = assembler.header(on: channel, bodySize: size, properties: properties) {
                return complete(content, channel: channel)
            }
        case AMQP_FRAME_BODY:
            if let content = assembler.body(on: channel, frame.payload.body_fragment.buffer) {
                return complete(content, channel: channel)
            }
        default:
            break
        }
        return nil
    }

    /// Handles a method frame.
    private func handleMethod(_ method: amqp_method_t, channel: UInt16) -> String? {
        guard let decoded = method.decoded else { return nil }
        switch method.id {
        case sy_method_basic_deliver():
            let deliver = decoded.load(as: amqp_basic_deliver_t.self)
            assembler.begin(
                .delivery(
                    tag: deliver.delivery_tag, redelivered: deliver.redelivered != 0,
                    exchange: deliver.exchange.string, routingKey: deliver.routing_key.string),
                on: channel)
        case sy_method_basic_ack():
            let ack = decoded.load(as: amqp_basic_ack_t.self)
            if channel == Self.publisherChannel {
                confirm(tag: ack.delivery_tag, multiple: ack.multiple != 0, nacked: false)
            }
        case sy_method_basic_nack():
            let nack = decoded.load(as: amqp_basic_nack_t.self)
            if channel == Self.publisherChannel {
                confirm(tag: nack.delivery_tag, multiple: nack.multiple != 0, nacked: true)
            }
        case sy_method_basic_return():
            let returned = decoded.load(as: amqp_basic_return_t.self)
            let reason =
                "\(returned.reply_code) \(returned.reply_text.string) (exchange '\(returned.exchange.string)'"
                + ", routing key '\(returned.routing_key.string)')"
            assembler.begin(.returned(reason: reason), on: channel)
        case sy_method_basic_cancel_ok():
            if let consumer = consumers.consumer(on: channel) { consumers.finish(consumer) }
        case sy_method_basic_cancel():
            if let consumer = consumers.consumer(on: channel) {
                logger.warning("AMQP: the broker cancelled the consumer of \(consumer.queue); ending it")
                consumers.finish(consumer)
            }
        case sy_method_channel_close():
            let close = decoded.load(as: amqp_channel_close_t.self)
            let reason = "\(close.reply_code) \(close.reply_text.string)"
            guard let conn = connection else { return "no connection" }
            let status = sy_send_channel_close_ok(conn, channel)
            if status != AMQP_STATUS_OK.rawValue { return "channel.close-ok failed: \(Self.statusString(status))" }
            return channelClosed(channel, reason: reason)
        case sy_method_connection_close():
            let close = decoded.load(as: amqp_connection_close_t.self)
            if let conn = connection { _ = sy_send_connection_close_ok(conn) }
            return "closed by the broker: \(close.reply_code) \(close.reply_text.string)"
        case sy_method_connection_blocked():
            let reason = decoded.load(as: amqp_connection_blocked_t.self).reason.string
            logger.warning("AMQP: the broker blocked publishing (\(reason.isEmpty ? "resource alarm" : reason))")
            blocked = true
            core.setBlocked(reason.isEmpty ? "resource alarm" : reason)
            failWaiting(with: blockedError())
            // The broker sends this when the connection publishes during an alarm, and stops reading it: the
            // publishes it has not confirmed would only reach their deadline. Their callers learn now; the
            // entries stay, so a confirm after the alarm clears is matched (and dropped) as after a timeout.
            let inFlight = AMQPError(
                code: .blocked,
                message: "the broker blocked publishing (\(core.blockedReason ?? "resource alarm")) "
                    + "before confirming the message; it may still be delivered once the alarm clears")
            for continuation in confirms.detachAll() {
                continuation.resume(throwing: inFlight)
            }
        case sy_method_connection_unblocked():
            logger.info("AMQP: the broker unblocked publishing")
            blocked = false
            core.setBlocked(nil)
        default:
            break
        }
        return nil
    }

    /// Recovers from the broker closing a channel: the publisher channel is reopened (its unconfirmed
    /// publishes fail), a consumer is restarted on a new channel.
    private func channelClosed(_ channel: UInt16, reason: String) -> String? {
        openChannels.remove(channel)
        assembler.discard(channel: channel)
        windows[channel] = nil
        if channel == Self.publisherChannel {
            failUnconfirmed(
                with: AMQPError(
                    code: .protocolError,
                    message: "the broker closed the publishing channel: \(reason)"))
            do {
                try openChannel(channel)
                try enableConfirms()
            } catch {
                return "cannot reopen the publishing channel: \(error.description)"
            }
            return nil
        }
        guard let consumer = consumers.channelClosed(channel) else { return nil }
        logger.warning("AMQP: the broker closed the channel of consumer \(consumer.queue) (\(reason)); restarting it")
        if consumer.cancelling {
            consumers.finish(consumer)
            return nil
        }
        do {
            try start(consumer)
        } catch {
            return error.description
        }
        return nil
    }

    /// Hands a fully received message to its consumer or to the publisher it was returned to.
    private func complete(_ content: IncomingContent, channel: UInt16) -> String? {
        switch content.kind {
        case .returned(let reason):
            markReturned(messageID: content.message.messageID, reason: reason)
        case .delivery(let tag, let redelivered, let exchange, let routingKey):
            if let consumer = consumers.consumer(on: channel), !consumer.cancelling,
                let context = consumer.context
            {
                let delivery = AMQPDelivery(
                    message: content.message, exchange: exchange, routingKey: routingKey,
                    redelivered: redelivered, deliveryTag: tag, context: context)
                if case .enqueued = consumer.continuation.yield(delivery) {
                    windows[channel, default: DeliveryWindow()].delivered(tag)
                    return nil
                }
            }
            // Nobody will handle it (cancelled or stream gone): give it back so nothing is lost.
            guard let conn = connection else { return nil }
            guard budget.admitControl() else {
                heldBack = true
                deferred.append(.reject(channel: channel, deliveryTag: tag, generation: generation, requeue: true))
                return nil
            }
            let status = amqp_basic_reject(conn, channel, tag, 1)
            if status != AMQP_STATUS_OK.rawValue { return "reject failed: \(Self.statusString(status))" }
        }
        return nil
    }

    // MARK: - Helpers

    /// Copies the content-header properties Switchyard uses into a message.
    private static func read(_ properties: amqp_basic_properties_t, into message: inout AMQPMessage) {
        let flags = properties._flags
        func has(_ flag: amqp_flags_t) -> Bool { flags & flag != 0 }
        if has(sy_flag_content_type()) { message.contentType = properties.content_type.string }
        if has(sy_flag_message_id()) { message.messageID = properties.message_id.string }
        if has(sy_flag_type()) { message.type = properties.type.string }
        if has(sy_flag_correlation_id()) { message.correlationID = properties.correlation_id.string }
        if has(sy_flag_reply_to()) { message.replyTo = properties.reply_to.string }
        if has(sy_flag_user_id()) { message.userID = properties.user_id.string }
        if has(sy_flag_expiration()), let milliseconds = Int64(properties.expiration.string) {
            message.expiration = .milliseconds(milliseconds)
        }
        if has(sy_flag_headers()) { message.headers = properties.headers.values }
        message.persistent = has(sy_flag_delivery_mode()) && properties.delivery_mode == 2
    }

    /// Interprets an RPC reply; on a server exception sends the close-ok the broker expects.
    private func check(_ reply: amqp_rpc_reply_t, channel: UInt16, context: String) -> Result<Void, RPCFailure> {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return .success(())
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            return .failure(.connection("\(context): \(Self.statusString(reply.library_error))"))
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            guard let decoded = reply.reply.decoded, let conn = connection else {
                return .failure(.connection("\(context): server exception"))
            }
            if reply.reply.id == sy_method_channel_close() {
                let close = decoded.load(as: amqp_channel_close_t.self)
                let reason = "\(context): \(close.reply_code) \(close.reply_text.string)"
                openChannels.remove(channel)
                if sy_send_channel_close_ok(conn, channel) != AMQP_STATUS_OK.rawValue {
                    return .failure(.connection(reason))
                }
                return .failure(.channel(reason))
            }
            if reply.reply.id == sy_method_connection_close() {
                let close = decoded.load(as: amqp_connection_close_t.self)
                _ = sy_send_connection_close_ok(conn)
                return .failure(.connection("\(context): \(close.reply_code) \(close.reply_text.string)"))
            }
            return .failure(.connection("\(context): unexpected server method \(reply.reply.id)"))
        default:
            return .failure(.connection("\(context): no reply"))
        }
    }

    /// rabbitmq-c's text for a status code.
    private static func statusString(_ status: Int32) -> String {
        guard let text = amqp_error_string2(status) else { return "status \(status)" }
        return String(cString: text)
    }
}

extension RPCFailure: CustomStringConvertible {
    /// The failure's reason.
    var description: String {
        switch self {
        case .channel(let reason), .connection(let reason): reason
        }
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
