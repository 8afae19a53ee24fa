import Foundation
import Testing

/// Issue 10 §7: schemathesis (PyPI; `deploy/local/install-deps` installs it) fuzzes the gateway and the log service
/// against the OpenAPI document they serve — generated and mutated paths, queries and bodies, then stateful
/// sequences. The run fails on any 5xx and on any answer the document does not describe (status, content type,
/// headers, body schema).
extension Integration {
    @Suite struct SchemathesisTests {
        static let checks = [
            "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
            "response_schema_conformance",
        ]

        @Test(
            "schemathesis: no 5xx and no answer outside the OpenAPI document, from the gateway and the log service",
            .enabled(if: TestEnvironment.isAvailable, "needs the test servers (deploy/local/test)"),
            .timeLimit(.minutes(8)))
        func fuzz() async throws {
            let stack = try await TestStack.shared()
            let (_, key) = try await stack.createMarketplace("schemathesis")
            // The log service serves /v1/logs and /v1/config-logs; the gateway everything else of the document.
            let logPaths = "'^/v1/(logs|config-logs)'"
            for (service, url, filter) in [
                ("gateway", stack.gatewayURL, "--exclude-path-regex \(logPaths)"),
                ("log service", stack.logsURL, "--include-path-regex \(logPaths)"),
            ] {
                let report = FileManager.default.temporaryDirectory
                    .appendingPathComponent("schemathesis-\(UUID().uuidString).txt")
                defer { try? FileManager.default.removeItem(at: report) }
                let command = [
                    "schemathesis run '\(url)/openapi.json' --url '\(url)'", "-H 'Authorization: Bearer \(key)'",
                    "--checks \(Self.checks.joined(separator: ","))", filter, "--max-examples 50",
                    "--request-timeout 10", "--no-color", "--output-truncate false", "> '\(report.path)' 2>&1",
                ].joined(separator: " ")
                let failure: (any Error)?
                do {
                    try await TestEnvironment.runAsync(shell: command)
                    failure = nil
                } catch {
                    failure = error
                }
                let output = (try? String(contentsOf: report, encoding: .utf8)) ?? ""
                let summary = output.components(separatedBy: "\n").filter { $0.contains("generated,") }
                say("schemathesis, \(service): \(summary.joined(separator: " ").trimmingCharacters(in: .whitespaces))")
                #expect(
                    failure == nil, "schemathesis found problems in the \(service)'s API:\n\(output.suffix(12_000))")
                #expect(!summary.isEmpty, "schemathesis printed no summary:\n\(output.suffix(4_000))")
            }
        }
    }
}
