import AMQP
import Testing

@Suite("AMQPConfiguration URL parsing")
struct AMQPConfigurationTests {
    @Test func fullURL() throws {
        let config = try AMQPConfiguration(url: "amqp://alice:s3cr%40t@rabbit.internal:5699/%2f", connectionName: "t")
        #expect(config.username == "alice")
        #expect(config.password == "s3cr@t")
        #expect(config.host == "rabbit.internal")
        #expect(config.port == 5699)
        #expect(config.virtualHost == "/")
        #expect(config.connectionName == "t")
        #expect(config.heartbeat == .seconds(10))
        #expect(config.confirmWindow == 1024)
        #expect(config.initialBackoff == .milliseconds(100))
        #expect(config.maximumBackoff == .seconds(5))
    }

    @Test func defaults() throws {
        for url in ["amqp://", "amqp:///", "AMQP://"] {
            let config = try AMQPConfiguration(url: url, connectionName: "t")
            #expect(config.username == "guest")
            #expect(config.password == "guest")
            #expect(config.host == "127.0.0.1")
            #expect(config.port == 5672)
            #expect(config.virtualHost == "/")
        }
    }

    @Test func namedVirtualHostAndIPv6() throws {
        let config = try AMQPConfiguration(url: "amqp://u:p@[::1]:5673/switch%2Fyard", connectionName: "t")
        #expect(config.host == "::1")
        #expect(config.port == 5673)
        #expect(config.virtualHost == "switch/yard")
        let plain = try AMQPConfiguration(url: "amqp://host.example/prod", connectionName: "t")
        #expect(plain.host == "host.example")
        #expect(plain.port == 5672)
        #expect(plain.virtualHost == "prod")
    }

    @Test(arguments: [
        "", "http://localhost", "amqp://host:notaport/", "amqp://host:70000/", "amqp://host:0",
        "amqp://user:p%zz@host/", "amqp://host/%4", "amqp://[::1/", "localhost:5672",
    ])
    func garbageIsRejected(url: String) {
        #expect {
            _ = try AMQPConfiguration(url: url, connectionName: "t")
        } throws: { error in
            (error as? AMQPError)?.code == .invalidConfiguration
        }
    }

    @Test func amqpsTurnsOnVerifiedTLS() throws {
        let plain = try AMQPConfiguration(url: "amqp://rabbit.internal/?heartbeat=5", connectionName: "t")
        #expect(plain.tls == nil)
        let secure = try AMQPConfiguration(url: "AMQPS://u:p@rabbit.internal/prod", connectionName: "t")
        #expect(secure.port == 5671)
        #expect(secure.virtualHost == "prod")
        #expect(secure.tls == AMQPConfiguration.TLS(caFile: nil, verifyPeer: true, verifyHostname: true))
        let withFiles = try AMQPConfiguration(
            url: "amqps://rabbit.internal:5999/%2f?cacertfile=/etc/ca%20dir/ca.pem&certfile=/c.pem&keyfile=/k.pem"
                + "&heartbeat=10",
            connectionName: "t")
        #expect(withFiles.port == 5999)
        #expect(withFiles.virtualHost == "/")
        #expect(
            withFiles.tls
                == AMQPConfiguration.TLS(
                    caFile: "/etc/ca dir/ca.pem", certificateFile: "/c.pem", keyFile: "/k.pem"))
        let unverified = try AMQPConfiguration(url: "amqps://h/?verify=verify_none", connectionName: "t")
        #expect(unverified.tls == AMQPConfiguration.TLS(verifyPeer: false, verifyHostname: false))
    }

    @Test(arguments: [
        "amqp://h/?cacertfile=/ca.pem", "amqps://h/?verify=maybe", "amqps://h/?cacertfile=",
        "amqps://h/?certfile=/c.pem", "amqpss://h/",
    ])
    func badTLSSettingsAreRejected(url: String) {
        #expect {
            _ = try AMQPConfiguration(url: url, connectionName: "t")
        } throws: { error in
            (error as? AMQPError)?.code == .invalidConfiguration
        }
    }

    @Test func tlsSettingsFromTheEnvironment() throws {
        var config = try AMQPConfiguration(url: "amqps://h/?cacertfile=/url-ca.pem", connectionName: "t")
        try config.applyTLSEnvironment([
            "SWITCHYARD_AMQP_CA_FILE": "/env-ca.pem", "SWITCHYARD_AMQP_KEY_FILE": "",
            "OTHER": "x",
        ])
        #expect(config.tls == AMQPConfiguration.TLS(caFile: "/env-ca.pem"))
        try config.applyTLSEnvironment([
            "SWITCHYARD_AMQP_TLS_VERIFY": "none", "SWITCHYARD_AMQP_CERT_FILE": "/c.pem",
            "SWITCHYARD_AMQP_KEY_FILE": "/k.pem",
        ])
        #expect(
            config.tls
                == AMQPConfiguration.TLS(
                    caFile: "/env-ca.pem", certificateFile: "/c.pem",
                    keyFile: "/k.pem", verifyPeer: false, verifyHostname: false))

        var plain = try AMQPConfiguration(url: "amqp://h/", connectionName: "t")
        try plain.applyTLSEnvironment(["SWITCHYARD_AMQP_CA_FILE": ""])
        #expect(plain.tls == nil)
        for environment in [["SWITCHYARD_AMQP_CA_FILE": "/ca.pem"], ["SWITCHYARD_AMQP_TLS_VERIFY": "peer"]] {
            #expect(throws: AMQPError.self) { try plain.applyTLSEnvironment(environment) }
        }
        var secure = try AMQPConfiguration(url: "amqps://h/", connectionName: "t")
        #expect(throws: AMQPError.self) { try secure.applyTLSEnvironment(["SWITCHYARD_AMQP_TLS_VERIFY": "yes"]) }
        #expect(throws: AMQPError.self) { try secure.applyTLSEnvironment(["SWITCHYARD_AMQP_CERT_FILE": "/c.pem"]) }
    }

    @Test func errorDescription() {
        let error = AMQPError(code: .timeout, message: "no confirm")
        #expect(error.description == "timeout: no confirm")
    }
}
