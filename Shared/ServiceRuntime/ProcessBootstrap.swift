import Foundation
import Logging
import Metrics
import Prometheus

/// Sets up what is global to a process — log output and the metrics backend — exactly once, in `main`.
public enum ProcessBootstrap {
    /// Logs go to standard error as text lines at the configured level; metrics go to a Prometheus registry
    /// that `/metrics` serves.
    public static func bootstrap(settings: CoreSettings) -> PrometheusCollectorRegistry {
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }
}

extension ProcessBootstrap {
    /// Runs `body` (reading the configuration); a configuration mistake ends the process with one line on
    /// standard error and exit code 78 (`EX_CONFIG`) instead of a crash report.
    public static func configured<T>(_ processName: String, _ body: () async throws -> T) async rethrows -> T {
        do {
            return try await body()
        } catch let error as SettingsError {
            exitMisconfigured(processName, error)
        }
    }
}

extension ProcessBootstrap {
    /// `configured(_:_:)` for reading settings synchronously, as the services' `main` does first.
    public static func configured<T>(_ processName: String, _ body: () throws -> T) rethrows -> T {
        do {
            return try body()
        } catch let error as SettingsError {
            exitMisconfigured(processName, error)
        }
    }

    private static func exitMisconfigured(_ processName: String, _ error: SettingsError) -> Never {
        FileHandle.standardError.write(Data("\(processName): configuration error: \(error)\n".utf8))
        exit(78)
    }
}
