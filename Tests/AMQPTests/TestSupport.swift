import AMQP
import Foundation
import Logging
import Synchronization
import Testing

/// Test environment: the broker URL and optional commands that stop/start the broker's AMQP listener.
enum TestBroker {
    static let url = ProcessInfo.processInfo.environment["SWITCHYARD_TEST_AMQP_URL"]
    static let stopCommand = ProcessInfo.processInfo.environment["SWITCHYARD_TEST_BROKER_STOP"]
    static let startCommand = ProcessInfo.processInfo.environment["SWITCHYARD_TEST_BROKER_START"]
    /// Command prefix that runs rabbitmqctl against the test node (deploy/local/test).
    static let rabbitmqctl = ProcessInfo.processInfo.environment["SWITCHYARD_TEST_RABBITMQCTL"]
    /// The test broker's TLS listener, and the CA that signed its certificate.
    static let amqpsURL = ProcessInfo.processInfo.environment["SWITCHYARD_TEST_AMQPS_URL"]
    static let caFile = ProcessInfo.processInfo.environment["SWITCHYARD_TEST_TLS_CA_FILE"]
    static var isAvailable: Bool { url != nil }
    static var canRestart: Bool { url != nil && stopCommand != nil && startCommand != nil }
    static var canRaiseAlarms: Bool { url != nil && rabbitmqctl != nil }
    static var hasTLS: Bool { amqpsURL != nil && caFile != nil }

    static let logger: Logger = {
        var logger = Logger(label: "amqp-tests")
        logger.logLevel = .info
        return logger
    }()

    static func configuration(_ name: String = "amqp-tests", url: String? = nil) throws -> AMQPConfiguration {
        var config = try AMQPConfiguration(url: url ?? self.url ?? "amqp://", connectionName: name)
        config.initialBackoff = .milliseconds(50)
        config.maximumBackoff = .milliseconds(500)
        return config
    }

    /// Runs a shell command (used to stop/start the broker).
    static func shell(_ command: String) throws {
        _ = try output(of: command)
    }

    /// Runs a shell command; returns what it printed.
    static func output(of command: String) throws -> String {
        let process = Process()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw AMQPError(code: .protocolError, message: "command failed: \(command)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs rabbitmqctl against the test node.
    @discardableResult
    static func rabbitmqctl(_ arguments: String) throws -> String {
        try output(of: "\(rabbitmqctl ?? "false") \(arguments)")
    }

    /// Runs `body` while the broker has a memory alarm (a high watermark no node stays under), so it blocks
    /// publishing connections; the watermark is restored to RabbitMQ's default afterwards, also on failure.
    static func withMemoryAlarm<T>(_ body: () async throws -> T) async throws -> T {
        try rabbitmqctl("set_vm_memory_high_watermark 0.0000001")
        do {
            let result = try await body()
            try rabbitmqctl("set_vm_memory_high_watermark 0.4")
            return result
        } catch {
            _ = try? rabbitmqctl("set_vm_memory_high_watermark 0.4")
            throw error
        }
    }

    /// Ready plus unacknowledged messages of a queue, as the broker counts them.
    static func messageCount(queue: String) throws -> Int? {
        let listing = try rabbitmqctl("list_queues --no-table-headers name messages")
        for line in listing.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if fields.count == 2, fields[0] == queue { return Int(fields[1]) }
        }
        return nil
    }
}

/// Unique names per test, and a topology with an exchange, a queue (expiring when unused, so test runs leave
/// nothing behind for long) and a binding.
struct TestNames {
    let exchange: String
    let queue: String
    let routingKey = "key"

    init(_ label: String) {
        let id = UUID().uuidString.prefix(8).lowercased()
        exchange = "sy-test-\(label)-\(id)-x"
        queue = "sy-test-\(label)-\(id)-q"
    }

    func topology(queueType: String = "classic") -> AMQPTopology {
        AMQPTopology(
            exchanges: [.init(name: exchange, type: .direct)],
            queues: [.init(name: queue, arguments: ["x-queue-type": .string(queueType), "x-expires": .int(600_000)])],
            bindings: [.init(queue: queue, exchange: exchange, routingKey: routingKey)])
    }
}

/// Runs `connection` for the duration of `body`, then cancels it and waits until it has shut down.
func withRunning<T: Sendable>(
    _ connection: AMQPConnection, waitForConnection: Bool = true,
    _ body: (AMQPConnection) async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await connection.run() }
        do {
            if waitForConnection {
                let connected = await connection.waitUntilConnected(timeout: .seconds(10))
                try #require(connected, "connection did not come up")
            }
            let result = try await body(connection)
            group.cancelAll()
            try await group.waitForAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// Iterates a consumer in the background and records what it yields, so tests can wait for deliveries with a
/// timeout without cancelling the consumer's iteration.
final class Collector: Sendable {
    private let state = Mutex<(deliveries: [AMQPDelivery], finished: Bool)>(([], false))

    /// Iterates until the consumer ends; optionally acks each delivery after recording it.
    func run(_ consumer: AMQPConsumer, ack: Bool) async {
        for await delivery in consumer {
            state.withLock { $0.deliveries.append(delivery) }
            if ack { delivery.ack() }
        }
        state.withLock { $0.finished = true }
    }

    var deliveries: [AMQPDelivery] { state.withLock { $0.deliveries } }
    var finished: Bool { state.withLock { $0.finished } }

    /// Waits until at least `count` deliveries arrived or the timeout passed; returns what arrived.
    func wait(for count: Int, timeout: Duration) async -> [AMQPDelivery] {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline, state.withLock({ $0.deliveries.count }) < count {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return deliveries
    }

    /// Waits until the consumer's sequence ended.
    func waitUntilFinished(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if finished { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return finished
    }
}

/// Runs a `Collector` over `consumer` for the duration of `body`, then cancels the consumer.
func withCollector<T: Sendable>(
    _ consumer: AMQPConsumer, ack: Bool, _ body: (Collector) async throws -> T
) async throws -> T {
    let collector = Collector()
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await collector.run(consumer, ack: ack) }
        do {
            let result = try await body(collector)
            consumer.cancel()
            group.cancelAll()
            try await group.waitForAll()
            return result
        } catch {
            consumer.cancel()
            group.cancelAll()
            throw error
        }
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passed; returns whether it held.
func eventually(timeout: Duration, _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try condition()
}

/// Whether `error` is an `AMQPError` with one of `codes`.
func isAMQPError(_ error: any Error, _ codes: AMQPError.Code...) -> Bool {
    guard let error = error as? AMQPError else { return false }
    return codes.contains(error.code)
}

/// A thread-safe counter for handlers.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() { value.withLock { $0 += 1 } }
    var current: Int { value.withLock { $0 } }
}

/// A thread-safe boolean shared with watcher tasks.
final class Flag: Sendable {
    private let value: Mutex<Bool>
    init(_ initial: Bool) { value = Mutex(initial) }
    func set(_ newValue: Bool) { value.withLock { $0 = newValue } }
    var isSet: Bool { value.withLock { $0 } }
}
