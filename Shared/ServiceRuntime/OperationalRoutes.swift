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
            let body = problems.isEmpty ? #"{"status":"ok"}"# : #"{"status":"unavailable","reasons":\#(jsonArray(problems))}"#
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

extension Router {
    /// `GET /openapi.json`: the public API contract, for clients and tools.
    public func addOpenAPIRoute() {
        get("/openapi.json") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }
}

private func jsonArray(_ strings: [String]) -> String {
    "[" + strings.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        .joined(separator: ",") + "]"
}
