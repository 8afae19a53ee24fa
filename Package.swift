// swift-tools-version:6.1
import PackageDescription

/// Settings every target shares: Swift 6 language mode, and upcoming features that keep dependencies explicit.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let hummingbirdTesting: Target.Dependency = .product(name: "HummingbirdTesting", package: "hummingbird")
let postgres: Target.Dependency = .product(name: "PostgresNIO", package: "postgres-nio")
let connectionPool: Target.Dependency = .product(name: "_ConnectionPoolModule", package: "postgres-nio")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioSSL: Target.Dependency = .product(name: "NIOSSL", package: "swift-nio-ssl")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let lifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let httpClient: Target.Dependency = .product(name: "AsyncHTTPClient", package: "async-http-client")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let openAPIRuntime: Target.Dependency = .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")
let openAPITransport: Target.Dependency = .product(
    name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client")

/// One executable per process; its code lives in `Services/<name>`.
func service(_ name: String, _ dependencies: [Target.Dependency], resources: [Resource]? = nil) -> Target {
    .executableTarget(
        name: name, dependencies: dependencies, path: "Services/\(name)", resources: resources,
        swiftSettings: swiftSettings)
}

/// A library target under `Shared/<name>`, named for the capability it provides.
func shared(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .target(name: name, dependencies: dependencies, path: "Shared/\(name)", swiftSettings: swiftSettings)
}

/// A service's API contract: `Shared/<name>/openapi.json` is the source; swift-openapi-generator's build plugin
/// makes the typed models and client from it (`openapi-generator-config.yaml`), and the document ships as the
/// target's resource, which the service serves at `GET /openapi.json`.
func api(_ name: String) -> Target {
    .target(
        name: name, dependencies: [openAPIRuntime], path: "Shared/\(name)", resources: [.copy("openapi.json")],
        swiftSettings: swiftSettings,
        plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")])
}

/// Unit tests of one target, or the integration tests that run against real servers.
func tests(_ name: String, _ dependencies: [Target.Dependency], exclude: [String] = []) -> Target {
    .testTarget(
        name: name, dependencies: dependencies, path: "Tests/\(name)", exclude: exclude, swiftSettings: swiftSettings)
}

let package = Package(
    name: "switchyard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchyard-gateway", targets: ["Gateway"]),
        .executable(name: "switchyard-matcher", targets: ["Matcher"]),
        .executable(name: "switchyard-webhook-worker", targets: ["WebhookWorker"]),
        .executable(name: "switchyard-icontact-worker", targets: ["IContactWorker"]),
        .executable(name: "switchyard-mailchimp-worker", targets: ["MailchimpWorker"]),
        .executable(name: "switchyard-log-service", targets: ["LogService"]),
        .executable(name: "switchyard-vendor-fakes", targets: ["VendorFakesServer"]),
        .executable(name: "switchyard-console", targets: ["Console"]),
        .executable(name: "switchyard", targets: ["CLI"]),
        .executable(name: "switchyard-log-bench", targets: ["LogBench"]),
        .executable(name: "switchyard-bench", targets: ["Bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client.git", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        .systemLibrary(name: "CRabbitMQ", path: "Shared/CRabbitMQ", pkgConfig: "librabbitmq"),
        shared("AMQP", ["CRabbitMQ", logging, lifecycle]),
        shared("Messages", []),
        shared("Connectors", ["Messages"]),
        shared("Storage", ["Messages", postgres, connectionPool, nioSSL, crypto, logging, lifecycle]),
        shared("VendorFakes", [hummingbird, crypto]),
        api("GatewayAPI"),
        api("LogServiceAPI"),
        shared(
            "APIClient",
            [
                "GatewayAPI", "LogServiceAPI", openAPIRuntime, openAPITransport, httpClient,
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
        shared(
            "ServiceRuntime",
            ["AMQP", "Connectors", "Storage", postgres, hummingbird, nioCore, logging, metrics, prometheus, lifecycle]),
        shared(
            "Pipeline",
            ["ServiceRuntime", "AMQP", "Connectors", "Messages", "Storage", postgres, logging, metrics, lifecycle]),
        shared("HTTPAPI", ["ServiceRuntime", "Messages", "Storage", hummingbird, logging, metrics, lifecycle]),
        shared(
            "ConnectorKit",
            [
                "ServiceRuntime", "Pipeline", "AMQP", "Messages", "Storage", "Connectors", postgres, hummingbird,
                httpClient, nioSSL, logging,
                metrics, prometheus, lifecycle,
            ]),

        service(
            "Gateway",
            [
                "GatewayAPI", "ServiceRuntime", "Pipeline", "HTTPAPI", "AMQP", "Messages", "Storage", "Connectors",
                hummingbird, crypto,
            ]),
        service("Matcher", ["ServiceRuntime", "Pipeline", "AMQP", "Messages", "Storage", lifecycle]),
        service("WebhookWorker", ["ConnectorKit", "Connectors", "Messages", "ServiceRuntime", httpClient, crypto]),
        service("IContactWorker", ["ConnectorKit", "ServiceRuntime", "Connectors", "Messages", httpClient, logging]),
        service(
            "MailchimpWorker",
            ["ConnectorKit", "ServiceRuntime", "Pipeline", "Connectors", "Messages", httpClient, crypto, logging]),
        .executableTarget(
            name: "VendorFakesServer", dependencies: ["VendorFakes", hummingbird], path: "Services/VendorFakes",
            swiftSettings: swiftSettings),
        service(
            "LogService",
            [
                "LogServiceAPI", "ServiceRuntime", "Pipeline", "HTTPAPI", "AMQP", "Messages", "Storage", hummingbird,
                lifecycle,
            ]),
        // Templates and static files ship as the console's resources.
        service(
            "Console",
            [
                "APIClient", "GatewayAPI", "LogServiceAPI", "ServiceRuntime", hummingbird, httpClient, crypto, logging,
                prometheus, .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            resources: [.copy("Resources/templates"), .copy("Resources/static")]),
        service("CLI", ["APIClient", "GatewayAPI", "LogServiceAPI", openAPIRuntime, argumentParser]),
        service("LogBench", ["Storage", "Messages", postgres, logging]),
        service("Bench", ["AMQP", "Messages", hummingbird, httpClient, argumentParser, logging]),

        .target(
            name: "ServiceTestSupport",
            dependencies: ["AMQP", "Storage", hummingbird, hummingbirdTesting, logging, postgres],
            path: "Tests/ServiceTestSupport", swiftSettings: swiftSettings),
        tests(
            "GatewayTests",
            [
                "Gateway", "GatewayAPI", "APIClient", "ServiceTestSupport", "ServiceRuntime", "Pipeline", "HTTPAPI",
                "Messages", "Storage", "Connectors", "AMQP",
                hummingbird, hummingbirdTesting, prometheus, logging,
            ]),
        tests(
            "LogServiceTests",
            [
                "LogService", "LogServiceAPI", "ServiceTestSupport", "ServiceRuntime", "Pipeline", "Messages",
                "Storage", "AMQP", hummingbird,
                hummingbirdTesting, prometheus,
            ]),
        tests(
            "MatcherTests",
            [
                "Matcher", "ServiceTestSupport", "ServiceRuntime", "Pipeline", "Messages", "Storage", "AMQP",
                hummingbird,
                hummingbirdTesting, prometheus,
            ]),
        tests("AMQPTests", ["AMQP"]),
        tests("StorageTests", ["Storage", postgres, nioSSL, logging]),
        tests("MessagesTests", ["Messages"]),
        tests("PipelineTests", ["Pipeline", "ServiceRuntime", "AMQP", "Messages", logging]),
        tests("ConnectorKitTests", ["ConnectorKit", "Connectors", "Messages", httpClient, nioSSL]),
        tests(
            "WebhookWorkerTests",
            [
                "WebhookWorker", "ConnectorKit", "Connectors", "Messages", "ServiceRuntime", "Pipeline", crypto,
                httpClient,
            ]),
        tests(
            "IContactWorkerTests",
            [
                "IContactWorker", "ConnectorKit", "VendorFakes", "Connectors", "Messages", "ServiceRuntime",
                hummingbird, hummingbirdTesting, httpClient,
            ]),
        tests(
            "MailchimpWorkerTests",
            [
                "MailchimpWorker", "ConnectorKit", "Connectors", "Messages", "ServiceRuntime", "Pipeline",
                "VendorFakes", hummingbird,
                hummingbirdTesting, httpClient, logging,
            ]),
        tests(
            "VendorFakesTests",
            [
                "VendorFakes", hummingbird, hummingbirdTesting, crypto,
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]),
        tests(
            "IntegrationTests",
            [
                "Messages", "Storage", "AMQP", "Connectors", "ConnectorKit", "ServiceRuntime", "Pipeline",
                "VendorFakes", "Console",
                "APIClient", "GatewayAPI", "LogServiceAPI", hummingbird, hummingbirdTesting, httpClient, crypto,
                logging, postgres, prometheus, lifecycle, .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            // The third-party AMQP client the ingestion tests publish with (run with python3, not compiled).
            // The browser journey is a selenium script driving Debian's headless Chromium (run with python3).
            exclude: ["pika-client.py", "console-journey.py"]),
    ]
)
