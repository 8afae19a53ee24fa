import Foundation
import HTTPAPI
import Hummingbird
import Messages
import Storage

/// `GET /v1/logs` (search, newest first, cursor-paginated) and `GET /v1/logs/{id}`. A marketplace sees only its
/// own entries: every query is scoped by the marketplace of the API key.
struct LogRoutes: Sendable {
    let store: LogStore

    /// The routes, relative to `/v1/logs`; mounted behind `MarketplaceAuthentication`.
    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.get(use: search)
        routes.get(":id", use: entry)
        return routes
    }

    @Sendable func search(_ request: Request, context: APIRequestContext) async throws -> Page<LogEntry> {
        let marketplaceID = try context.marketplaceID
        let query = try Self.query(from: request.uri.queryParameters)
        let (entries, next) = try await store.search(marketplaceID: marketplaceID, query)
        return Page(entries: entries, next: next)
    }

    @Sendable func entry(_ request: Request, context: APIRequestContext) async throws -> LogEntry {
        let marketplaceID = try context.marketplaceID
        let id = try context.parameters.require("id")
        guard let entry = try await store.entry(marketplaceID: marketplaceID, id: id) else {
            throw APIError.notFound("log entry \(id)")
        }
        return entry
    }

    static func query(from parameters: Hummingbird.Parameters) throws -> LogQuery {
        func text(_ name: String) -> String? {
            parameters.get(name).flatMap { $0.isEmpty ? nil : $0 }
        }
        func time(_ name: String) throws -> Date? {
            guard let value = text(name) else { return nil }
            guard let date = RFC3339.date(from: value) else {
                throw APIError.badRequest("must be an RFC 3339 time such as 2026-11-21T10:00:00Z", field: name)
            }
            return date
        }
        var query = LogQuery()
        query.email = text("email")
        query.trigger = text("trigger")
        if let status = text("status") {
            guard let value = LogStatus(rawValue: status) else {
                throw APIError.badRequest(
                    "must be one of \(LogStatus.allCases.map(\.rawValue).joined(separator: ", "))", field: "status")
            }
            query.status = value
        }
        query.integrationID = text("integration_id")
        query.productID = text("product_id")
        query.eventID = text("event_id")
        query.since = try time("since")
        query.until = try time("until")
        (query.limit, query.before) = try Page<LogEntry>.parameters(parameters)
        return query
    }
}

/// An opaque page position: clients pass back what they were given.
enum Cursor {
    static func encode(_ position: Int64) -> String {
        Data("p:\(position)".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) -> Int64? {
        let padded = cursor + String(repeating: "=", count: (4 - cursor.count % 4) % 4)
        guard let data = Data(base64Encoded: padded), let text = String(data: data, encoding: .utf8),
            text.hasPrefix("p:")
        else {
            return nil
        }
        return Int64(text.dropFirst(2))
    }
}

/// A log entry is answered as it is stored.
extension LogEntry: ResponseEncodable {}
