import Foundation
import Hummingbird
import Prometheus

/// A check that `/health` runs: nil when the dependency is fine, else the reason it is not.
public typealias HealthCheck = @Sendable () async -> String?

extension Router {
    /// `GET /health` (200, or 503 with the reasons) and `GET /metrics` (Prometheus text format).
    public func addOperationalRoutes(registry: PrometheusCollectorRegistry, checks: [String: HealthCheck]) {
        get("/health") { _, _ -> Response in
            var problems: [String] = []
            for (name, check) in checks.sorted(by: { $0.key < $1.key }) {
                if let problem = await check() { problems.append("\(name): \(problem)") }
            }
            let body =
                problems.isEmpty ? #"{"status":"ok"}"# : #"{"status":"unavailable","reasons":\#(jsonArray(problems))}"#
            return Response(
                status: problems.isEmpty ? .ok : .serviceUnavailable,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        get("/metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(4096)
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}

/// A service's OpenAPI document could not be read at start-up (its API module's resource bundle is missing).
public struct MissingDocument: Error, CustomStringConvertible {
    /// Where it was looked for, if the bundle was found at all.
    public var url: URL?
    /// What went wrong, for the log.
    public var description: String {
        "cannot read the OpenAPI document \(url?.path ?? "(the resource bundle is missing next to the executable)")"
    }
}

extension Router {
    /// `GET /openapi.json`: the service's API contract, read once from `url` (its API module's resource, such as
    /// `GatewayAPIDocument.url`) and served as it is.
    public func addOpenAPIRoute(document url: URL?) throws(MissingDocument) {
        guard let url, let bytes = try? Data(contentsOf: url) else { throw MissingDocument(url: url) }
        let document = ByteBuffer(bytes: bytes)
        get("/openapi.json") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: document))
        }
    }
}

private func jsonArray(_ strings: [String]) -> String {
    "["
        + strings.map {
            "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        .joined(separator: ",") + "]"
}
