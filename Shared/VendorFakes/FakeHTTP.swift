import Foundation
import Hummingbird

/// Small helpers shared by the fakes: JSON in and out without fixing a Swift type per vendor shape, since the
/// fakes must answer exactly the documented shapes (and nothing of ours).
enum FakeHTTP {
    static func json(_ status: HTTPResponse.Status, _ object: Any, contentType: String = "application/json") -> Response
    {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: contentType],
            body: .init(byteBuffer: ByteBuffer(bytes: Array(data))))
    }

    static func empty(_ status: HTTPResponse.Status) -> Response { Response(status: status) }

    /// The body parsed as JSON, or nil when it is absent or not JSON.
    static func body(_ request: Request) async -> Any? {
        guard let buffer = try? await request.body.collect(upTo: 1024 * 1024), buffer.readableBytes > 0 else {
            return nil
        }
        return try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))
    }

    /// `application/x-www-form-urlencoded` fields.
    static func form(_ request: Request) async -> [String: String] {
        guard let buffer = try? await request.body.collect(upTo: 64 * 1024) else { return [:] }
        var fields: [String: String] = [:]
        for pair in String(decoding: buffer.readableBytesView, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }
}
