import ServiceRuntime
import Testing

@testable import Gateway

/// The port every service reads from the one variable `SWITCHYARD_HTTP_PORT`, with the service's own default.
@Suite struct GatewaySettingsTests {
    let key = ["SWITCHYARD_ENCRYPTION_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]

    @Test("without SWITCHYARD_HTTP_PORT the gateway listens on 8080, and its public URL names that port")
    func defaultPort() throws {
        let settings = try GatewaySettings(Settings(key))
        #expect(settings.core.httpPort == 8080)
        #expect(settings.publicURL == "http://127.0.0.1:8080")
    }

    @Test("SWITCHYARD_HTTP_PORT sets the port; empty means the default")
    func portVariable() throws {
        #expect(
            try GatewaySettings(Settings(key.merging(["SWITCHYARD_HTTP_PORT": "9000"]) { $1 })).core.httpPort == 9000)
        #expect(try GatewaySettings(Settings(key.merging(["SWITCHYARD_HTTP_PORT": ""]) { $1 })).core.httpPort == 8080)
    }

    @Test("a port that is not one stops the gateway at start-up, naming the variable")
    func badPort() throws {
        for value in ["80a", "-1", "65536"] {
            let error = #expect(throws: SettingsError.self) {
                try GatewaySettings(Settings(key.merging(["SWITCHYARD_HTTP_PORT": value]) { $1 }))
            }
            #expect(error?.key == "SWITCHYARD_HTTP_PORT")
        }
    }
}
