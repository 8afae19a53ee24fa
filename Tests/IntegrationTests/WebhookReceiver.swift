import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A merchant's webhook endpoint inside the test process. It records every request and answers by path:
/// `/ok/…` 204, `/fail/…` 503, `/gone/…` 410, `/notfound/…` 404, `/flaky/…` 503 twice then 200,
/// `/switch/…` 503 until the test calls `answer(path:status:)`, `/slow/…` 204 after a second,
/// `/trickle/…` 200 with a body of one byte every 5 s, `/hang/…` no answer for 20 s,
/// `/nulreply/…` 200 with a NUL and an escape sequence in its body.
final class WebhookReceiver: Sendable {
    struct Received: Sendable {
        var path: String
        var id: String
        var timestamp: String
        var signature: String
        var body: [UInt8]
    }

    let port: Int
    private let log: RequestLog

    private init(port: Int, log: RequestLog) {
        self.port = port
        self.log = log
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Makes a `/switch/…` path answer `status` from now on.
    func answer(path: String, status: Int) {
        log.switched.withLock { $0[path] = HTTPResponse.Status(code: status) }
    }

    func requests(path: String) -> [Received] { log.entries.withLock { $0.filter { $0.path == path } } }

    /// Waits until `path` received `count` requests (or the timeout passes) and returns them.
    func waitForRequests(path: String, count: Int, timeout: Duration = .seconds(20)) async throws -> [Received] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found = requests(path: path)
            if found.count >= count { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        return requests(path: path)
    }

    static func start() async throws -> WebhookReceiver {
        let log = RequestLog()
        let router = Router()
        router.post("/**") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1024 * 1024)
            let path = request.uri.path
            let entry = Received(
                path: path, id: request.headers[.spelled("webhook-id")] ?? "",
                timestamp: request.headers[.spelled("webhook-timestamp")] ?? "",
                signature: request.headers[.spelled("webhook-signature")] ?? "", body: Array(body.readableBytesView))
            let count = log.append(entry)
            let status: HTTPResponse.Status
            if path.hasPrefix("/fail/") {
                status = .serviceUnavailable
            } else if path.hasPrefix("/gone/") {
                status = .gone
            } else if path.hasPrefix("/notfound/") {
                status = .notFound
            } else if path.hasPrefix("/switch/") {
                status = log.switched.withLock { $0[path] } ?? .serviceUnavailable
            } else if path.hasPrefix("/trickle/") {
                // 200 and its headers at once, then one byte every 5 s: a body that never ends in time.
                return Response(
                    status: .ok,
                    body: ResponseBody { writer in
                        for _ in 0..<12 {
                            try await writer.write(ByteBuffer(string: "."))
                            try await Task.sleep(for: .seconds(5))
                        }
                        try await writer.finish(nil)
                    })
            } else if path.hasPrefix("/nulreply/") {
                // A reply PostgreSQL could never store as it is.
                return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\u{0}\u{1b}[2Jdone")))
            } else if path.hasPrefix("/hang/") {
                // Never answers in time (a dead endpoint that accepts connections).
                try await Task.sleep(for: .seconds(20))
                status = .noContent
            } else if path.hasPrefix("/slow/") {
                // Long enough for a second worker to take a second copy of the same command meanwhile.
                try await Task.sleep(for: .seconds(1))
                status = .noContent
            } else if path.hasPrefix("/flaky/") {
                status = count <= 2 ? .serviceUnavailable : .ok
            } else {
                status = .noContent
            }
            return Response(status: status)
        }
        let port = try await InProcessServer.start(router, name: "webhook-receiver")
        return WebhookReceiver(port: port, log: log)
    }
}

/// The receiver's request log, shared with its route handler.
private final class RequestLog: Sendable {
    let entries = Mutex<[WebhookReceiver.Received]>([])
    /// The answers of `/switch/…` paths the test has set.
    let switched = Mutex<[String: HTTPResponse.Status]>([:])

    /// Appends and returns how many requests that path has had, this one included.
    func append(_ entry: WebhookReceiver.Received) -> Int {
        entries.withLock { log in
            log.append(entry)
            return log.filter { $0.path == entry.path }.count
        }
    }
}

extension HTTPField.Name {
    /// A field name spelled in a test, so always a valid token: `nil` from `init?(_:)` is a mistake in the test.
    static func spelled(_ name: String) -> Self {
        guard let field = Self(name) else { preconditionFailure("\(name) is not a valid HTTP field name") }
        return field
    }
}
