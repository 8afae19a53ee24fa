import APIClient
import OpenAPIRuntime

/// A failure the CLI reports with a message and one of its documented exit codes.
struct CLIError: Error {
    /// The API refused the request (a 4xx answer).
    static let refusedExitCode: Int32 = 1
    /// The command line or configuration is unusable.
    static let usageExitCode: Int32 = 2
    /// The service could not be reached or failed (a 5xx answer).
    static let unavailableExitCode: Int32 = 3

    var message: String
    var exitCode: Int32

    static func usage(_ message: String) -> CLIError { CLIError(message: message, exitCode: usageExitCode) }

    /// What a failed API call means for the person at the terminal: a refusal with the API's words (exit 1 for a
    /// 4xx, 3 for a 5xx), or a service that could not be reached or answered what the contract does not say.
    init(calling error: any Error) {
        if let refusal = APIRefusal(error) {
            message = refusal.description
            exitCode = refusal.status < 500 ? Self.refusedExitCode : Self.unavailableExitCode
        } else if let error = error as? ClientError {
            let server = error.baseURL?.absoluteString ?? "the service"
            message = "cannot reach \(server) or read its answer: \(error.underlyingError)"
            exitCode = Self.unavailableExitCode
        } else {
            message = "\(error)"
            exitCode = Self.unavailableExitCode
        }
    }

    init(message: String, exitCode: Int32) {
        self.message = message
        self.exitCode = exitCode
    }

    /// A value the API names by its raw spelling (a trigger, a scope, a status), or a usage error listing the ones
    /// it takes.
    static func parse<Value: RawRepresentable & CaseIterable>(_ text: String, as flag: String) throws -> Value
    where Value.RawValue == String {
        guard let value = Value(rawValue: text) else {
            let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw usage("\(flag) must be one of \(allowed), not \"\(text)\"")
        }
        return value
    }
}
