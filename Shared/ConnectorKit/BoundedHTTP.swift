import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// An app's answer, read whole within one deadline and a byte cap.
public struct BoundedResponse: Sendable {
    /// The app's status.
    public var status: HTTPResponseStatus
    /// The app's header fields.
    public var headers: HTTPHeaders
    /// At most the cap's bytes of the body.
    public var body: ByteBuffer
    /// The body was longer than the cap (only with `truncating`; otherwise that is an error).
    public var truncated: Bool
}

extension HTTPClient {
    /// Executes a request with ONE deadline for connecting, the response head and the whole body, reading at most
    /// `maximumBytes`. AsyncHTTPClient's own timeout ends once the head arrives, so a peer that sends its headers
    /// and then trickles the body would otherwise hold the caller for ever. Past the deadline the request is
    /// cancelled (the connection closed) and `HTTPClientError.deadlineExceeded` thrown. A longer body is cut at the
    /// cap when `truncating` (a reply kept for the log), else refused with `HTTPClientError.bodyLengthMismatch`.
    public func executeBounded(
        _ request: HTTPClientRequest, timeout: Duration, maximumBytes: Int, truncating: Bool = false
    ) async throws -> BoundedResponse {
        let started = ContinuousClock.now
        // Connecting and the head: AsyncHTTPClient's own deadline, with its precise errors (refused, TLS, timeout).
        let response = try await execute(request, timeout: .init(timeout))
        let remaining = timeout - (ContinuousClock.now - started)
        // The body: read within what is left of the same deadline, or the reading is cancelled.
        return try await withThrowingTaskGroup(of: BoundedResponse?.self) { group in
            group.addTask {
                var body = ByteBuffer()
                var truncated = false
                for try await chunk in response.body {
                    let room = maximumBytes - body.readableBytes
                    if chunk.readableBytes > room {
                        guard truncating else { throw HTTPClientError.bodyLengthMismatch }
                        var chunk = chunk
                        if let part = chunk.readSlice(length: max(room, 0)) { body.writeImmutableBuffer(part) }
                        truncated = true
                        break
                    }
                    body.writeImmutableBuffer(chunk)
                }
                return BoundedResponse(
                    status: response.status, headers: response.headers, body: body, truncated: truncated)
            }
            group.addTask {
                try await _Concurrency.Task.sleep(for: max(remaining, .zero))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let bounded = first else {
                throw HTTPClientError.deadlineExceeded
            }
            return bounded
        }
    }
}
