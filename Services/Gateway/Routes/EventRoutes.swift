import AMQP
import Foundation
import HTTPAPI
import Hummingbird
import Logging
import Messages
import Metrics
import Storage

/// `POST /v1/events` and `POST /v1/events/batch`: validate, then accept through `EventIntake` (published with
/// confirm; 202 only once the broker holds the event; an id accepted before is answered "duplicate").
struct EventRoutes: Sendable {
    static let bodyLimit = 64 * 1024
    static let batchBodyLimit = 4 * 1024 * 1024
    static let batchLimit = 500

    let intake: EventIntake
    let accepted = Counter(label: "switchyard_gateway_events_total", dimensions: [("result", "accepted")])
    let duplicates = Counter(label: "switchyard_gateway_events_total", dimensions: [("result", "duplicate")])
    let rejected = Counter(label: "switchyard_gateway_events_total", dimensions: [("result", "rejected")])
    let unavailable = Counter(label: "switchyard_gateway_events_total", dimensions: [("result", "unavailable")])

    /// The routes, relative to `/v1/events`; mounted behind `MarketplaceAuthentication`.
    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        routes.post(use: publish)
        routes.post("batch", use: publishBatch)
        return routes
    }

    /// `POST /v1/events`. The body is read as raw bytes: the event is validated, and its JSON kept, as sent.
    @Sendable func publish(_ request: Request, context: APIRequestContext) async throws
        -> EditedResponse<AcceptResult>
    {
        let marketplaceID = try context.marketplaceID
        let body = try await request.collectBody(refusingOver: Self.bodyLimit)
        let event: TriggerEvent
        do throws(EventValidationError) {
            event = try TriggerEvent.validated(from: body.readableBytesView)
        } catch {
            rejected.increment()
            throw APIError.badRequest(error.message, field: error.field)
        }
        let result = try await accept(event, json: body.readableBytesView, marketplaceID: marketplaceID)
        return EditedResponse(status: .accepted, response: result)
    }

    /// `POST /v1/events/batch`: each event is validated and answered on its own.
    @Sendable func publishBatch(_ request: Request, context: APIRequestContext) async throws
        -> [String: [BatchResult]]
    {
        let marketplaceID = try context.marketplaceID
        let body = try await request.collectBody(refusingOver: Self.batchBodyLimit)
        let items = try Self.splitBatch(body)
        let results = await withTaskGroup(of: (Int, BatchResult).self) { group in
            for (index, item) in items.enumerated() {
                group.addTask {
                    do {
                        guard item.count <= Self.bodyLimit else {
                            rejected.increment()
                            return (index, .init(index: index, error: Self.tooLarge))
                        }
                        let event = try TriggerEvent.validated(from: item)
                        let result = try await accept(event, json: item, marketplaceID: marketplaceID)
                        return (index, .init(accepted: result))
                    } catch let error as EventValidationError {
                        rejected.increment()
                        return (index, .init(index: index, error: .badRequest(error.message, field: error.field)))
                    } catch let error as APIError {
                        return (index, .init(index: index, error: error))
                    } catch {
                        return (index, .init(index: index, error: .badRequest("the event could not be read")))
                    }
                }
            }
            var results = [BatchResult?](repeating: nil, count: items.count)
            for await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
        return ["results": results]
    }

    /// Accepts a validated event, answering 503 when the broker cannot take it.
    private func accept(_ event: TriggerEvent, json: some Collection<UInt8>, marketplaceID: String)
        async throws -> AcceptResult
    {
        do {
            let result = try await intake.accept(event, json: json, marketplaceID: marketplaceID)
            (result.status == .accepted ? accepted : duplicates).increment()
            return result
        } catch {
            unavailable.increment()
            throw APIError(
                .serviceUnavailable, code: "broker_unavailable",
                message: "the event was not accepted because the message broker is unavailable; retry later",
                headers: [.retryAfter: "1"])
        }
    }

    /// Each event of a batch has the limit of a single one.
    static let tooLarge = APIError(
        .contentTooLarge, code: "payload_too_large", message: "an event may be at most \(bodyLimit / 1024) KiB")

    /// Splits `{"events":[…]}` into the raw bytes of each event, so each is validated and answered on its own.
    static func splitBatch(_ body: ByteBuffer) throws -> [[UInt8]] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let events = object["events"] as? [Any]
        else {
            throw APIError.badRequest("the body must be {\"events\":[…]}", field: "events")
        }
        guard events.count <= batchLimit else {
            throw APIError.badRequest("a batch holds at most \(batchLimit) events", field: "events")
        }
        return try events.map { try Array(JSONSerialization.data(withJSONObject: $0, options: [.fragmentsAllowed])) }
    }
}

/// One event's answer in a batch: accepted, duplicate, or refused with the same error body as a single publish.
struct BatchResult: Encodable, Sendable {
    var index: Int?
    var eventID: String?
    var status: String
    /// The status a single `POST /v1/events` of this event would have had (400, 413, 503), for refused events.
    var httpStatus: Int?
    var error: Detail?

    struct Detail: Encodable, Sendable {
        var code: String
        var message: String
        var field: String?
    }

    init(accepted: AcceptResult) {
        eventID = accepted.eventID
        status = accepted.status.rawValue
    }

    init(index: Int, error: APIError) {
        self.index = index
        status = error.status == .serviceUnavailable ? "unavailable" : "rejected"
        httpStatus = Int(error.status.code)
        self.error = Detail(code: error.code, message: error.message, field: error.field)
    }

    enum CodingKeys: String, CodingKey {
        case index, status, error
        case eventID = "event_id"
        case httpStatus = "http_status"
    }
}

extension AcceptResult: ResponseEncodable {}
