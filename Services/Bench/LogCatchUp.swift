/// Whether the log service has written the entries of the events a phase sent: its outcome counter has grown by
/// the expected number and the phase's last event has the expected status.
struct LogCatchUp: Sendable {
    let client: PipelineClient
    /// How long the log service may lag behind the last delivery.
    var timeout: Duration = .seconds(120)

    /// The counter before a phase.
    func baseline() async throws -> Double {
        try await client.outcomesWritten()
    }

    /// Polls until `expected` more outcomes are written and `lastEventID`'s entry has `expectedStatus`;
    /// false when that does not happen within the timeout.
    func waitUntilWritten(
        baseline: Double, expected: Int, lastEventID: String?, expectedStatus: String,
        apiKey: String
    ) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            let written = try await client.outcomesWritten() - baseline
            if written >= Double(expected) {
                guard let lastEventID else { return true }
                if try await client.logStatus(eventID: lastEventID, apiKey: apiKey) == expectedStatus { return true }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
