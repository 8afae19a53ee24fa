import Foundation
import Logging
import Metrics
import NIOCore
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

extension ProcessBootstrap {
    /// Builds and runs the process's services until they end. An error that stops them (the HTTP port taken by
    /// another process, for one) ends the process with one line on standard error naming the cause and exit code
    /// 1, instead of the crash report Swift gives an error thrown out of `main`.
    public static func serve(
        _ processName: String, settings: CoreSettings, isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
        } catch {
            FileHandle.standardError.write(
                Data("\(processName): stopped: \(explanation(of: error, settings: settings))\n".utf8))
            exit(1)
        }
    }

    /// What stopped a process, as an operator reads it; the listening address is named for a failed bind.
    static func explanation(of error: any Error, settings: CoreSettings) -> String {
        let address = "\(settings.httpHost):\(settings.httpPort)"
        if let error = error as? IOError {
            switch error.errnoCode {
            case EADDRINUSE:
                return "cannot listen on \(address): another process uses the port (SWITCHYARD_HTTP_PORT sets another)"
            case EADDRNOTAVAIL:
                return "cannot listen on \(address): the address is not one of this machine's (SWITCHYARD_HTTP_HOST)"
            case EACCES:
                return "cannot listen on \(address): not allowed to bind the port (ports below 1024 need privileges)"
            default:
                break
            }
        }
        return String(describing: error)
    }
}
