import Foundation

/// The gateway's API: `Client`, `Components` and `Operations` are generated from `openapi.json` by
/// swift-openapi-generator's build plugin; this file adds where the document itself is.
public enum GatewayAPIDocument {
    /// The OpenAPI 3.1 document, shipped as this module's resource; the gateway serves it at `GET /openapi.json`.
    public static var url: URL? { Bundle.module.url(forResource: "openapi", withExtension: "json") }
}
