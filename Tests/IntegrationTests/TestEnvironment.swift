import Foundation

/// Where the real servers for integration tests are, from the environment `deploy/local/test` sets.
enum TestEnvironment {
    static let values = ProcessInfo.processInfo.environment

    static var databaseURL: String? { values["SWITCHYARD_TEST_DATABASE_URL"] }
    static var amqpURL: String? { values["SWITCHYARD_TEST_AMQP_URL"] }
    static var brokerStop: String? { values["SWITCHYARD_TEST_BROKER_STOP"] }
    static var brokerStart: String? { values["SWITCHYARD_TEST_BROKER_START"] }

    /// The built executables: `SWITCHYARD_BIN_DIR`, else `.build/debug` of this checkout.
    static var binDirectory: URL {
        if let dir = values["SWITCHYARD_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug")
    }

    static var isAvailable: Bool { databaseURL != nil && amqpURL != nil }
    static var canRestartBroker: Bool { isAvailable && brokerStop != nil && brokerStart != nil }

    /// Runs one of the broker control commands and waits for it.
    static func run(shell command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HarnessError("command failed (\(process.terminationStatus)): \(command)")
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
