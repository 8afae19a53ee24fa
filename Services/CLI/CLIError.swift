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
}
