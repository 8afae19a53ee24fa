import Hummingbird

/// Serves a router inside the test process on a free port of 127.0.0.1: the merchant's webhook endpoint and the
/// vendor fakes, which the services reach over real HTTP like the apps they stand for.
enum InProcessServer {
    /// Starts serving and returns the port once the server listens. It runs until the test process ends.
    static func start(_ router: Router<BasicRequestContext>, name: String) async throws -> Int {
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: name),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
        Task { try await app.runService() }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw HarnessError("\(name) did not start") }
        return port
    }
}
