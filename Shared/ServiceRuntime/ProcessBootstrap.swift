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
