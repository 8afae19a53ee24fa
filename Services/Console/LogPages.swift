import APIClient
import Foundation
import GatewayAPI
import HTTPTypes
import Hummingbird
import LogServiceAPI

/// Logs: search by customer email with filters (trigger, status, integration, product, time range), newest first
/// with paging; an entry with every attempt; Replay of a failed entry and of every failed entry of the filter; and
/// the Configuration logs.
struct LogPages: Sendable {
    let views: Views
    let api: ConsoleAPI

    var routes: RouteCollection<ConsoleContext> {
        let routes = RouteCollection(context: ConsoleContext.self)
        routes.get(use: search)
        routes.post("replay-failed", use: replayFailed)
        routes.get(":id", use: entry)
        routes.post(":id/replay", use: replay)
        return routes
    }

    var configRoutes: RouteCollection<ConsoleContext> {
        let routes = RouteCollection(context: ConsoleContext.self)
        routes.get(use: configLogs)
        return routes
    }

    /// The search filters, from a query or a form.
    struct Filter {
        var email, integrationID, productID, eventID: String?
        var trigger: Logs.TriggerType?
        var status: Logs.LogStatus?
        var since, until: Date?
        /// What the merchant typed for the times, shown back as typed.
        var sinceText, untilText: String?

        init(_ form: Form) throws {
            email = form["email"]
            integrationID = form["integration_id"]
            productID = form["product_id"]
            eventID = form["event_id"]
            trigger = form["trigger"].flatMap(Logs.TriggerType.init(rawValue:))
            status = form["status"].flatMap(Logs.LogStatus.init(rawValue:))
            sinceText = form["since"]
            untilText = form["until"]
            since = try sinceText.map { try Self.time($0, field: "From") }
            until = try untilText.map { try Self.time($0, field: "Until") }
        }

        /// A time from a `datetime-local` field, in UTC ("2026-12-03T07:30"), or a full RFC 3339 time.
        static func time(_ text: String, field: String) throws -> Date {
            for candidate in [text, text + ":00Z", text + "Z"] {
                if let date = try? Date(candidate, strategy: .iso8601) { return date }
            }
            throw FormProblem(message: "\(field) must be a date and time such as 2026-12-03T07:30 (UTC).")
        }

        /// The filter as a query string (for paging, the refresh link and replay of its failed entries).
        var query: String {
            let pairs: [(String, String?)] = [
                ("email", email), ("trigger", trigger?.rawValue), ("status", status?.rawValue),
                ("integration_id", integrationID), ("product_id", productID), ("event_id", eventID),
                ("since", sinceText), ("until", untilText),
            ]
            return pairs.compactMap { name, value in value.map { "\(name)=\($0.escapedForURL)" } }
                .joined(separator: "&")
        }

        var hiddenFields: [[String: String]] {
            Form(urlEncoded: query).values.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] }
        }
    }

    @Sendable func search(_ request: Request, context: ConsoleContext) async throws -> Response {
        let session = try context.signedIn
        let form = Form(urlEncoded: request.uri.query ?? "")
        let integrations = try await api.gateway(session).listIntegrations().ok.body.json.integrations
            .sorted { $0.label.localizedCaseInsensitiveCompare($1.label) == .orderedAscending }
        var values: [String: Any] = [:]
        var filter: Filter?
        do {
            filter = try Filter(form)
        } catch let problem as FormProblem {
            values["error"] = problem.message
        }
        if let filter {
            let page = try await api.logs(session).searchLogs(
                query: .init(
                    email: filter.email, trigger: filter.trigger, status: filter.status,
                    integrationId: filter.integrationID, productId: filter.productID, eventId: filter.eventID,
                    since: filter.since, until: filter.until, limit: 25, cursor: form["cursor"])
            ).ok.body.json
            let actions = try await api.actionNames(session)
            values["entries"] = page.entries.map { Self.row($0, actions: actions) }
            values["empty"] = page.entries.isEmpty
            values["filtered"] = !filter.query.isEmpty
            values["query"] = filter.query
            values["hidden"] = filter.hiddenFields
            values["has_failed"] = page.entries.contains { $0.status == .failed } || filter.status == .failed
            if let next = page.nextCursor {
                values["next"] =
                    "/logs?"
                    + [filter.query, "cursor=\(next.escapedForURL)"].filter { !$0.isEmpty }
                    .joined(separator: "&")
            }
        }
        values["email"] = form["email"] ?? ""
        values["product_id"] = form["product_id"] ?? ""
        values["event_id"] = form["event_id"] ?? ""
        values["since"] = form["since"] ?? ""
        values["until"] = form["until"] ?? ""
        values["triggers"] = Logs.TriggerType.allCases.map {
            ["value": $0.rawValue, "label": Display.words($0.rawValue), "selected": $0.rawValue == form["trigger"]]
                as [String: Any]
        }
        values["statuses"] = Logs.LogStatus.allCases.map {
            ["value": $0.rawValue, "label": $0.rawValue.capitalized, "selected": $0.rawValue == form["status"]]
                as [String: Any]
        }
        values["integrations"] = integrations.map {
            ["id": $0.id, "label": $0.label, "selected": $0.id == form["integration_id"]] as [String: Any]
        }
        values["paged"] = form["cursor"] != nil
        return try views.page("logs", title: "Logs", tab: .logs, values, context: context)
    }

    static func row(_ entry: Logs.LogEntry, actions: [String: String]) -> [String: Any] {
        [
            "id": entry.id, "time": Display.time(entry.createdAt), "email": entry.customerEmail,
            "trigger": entry.trigger.map(Display.words) ?? "—", "integration": entry.integrationLabel ?? "—",
            "action": entry.action.map { actions["\(entry.connector ?? "")/\($0)"] ?? $0 } ?? "",
            "destination": entry.destination.map(Self.destination) ?? "",
            "status": entry.status.rawValue, "badge": badge(entry.status), "reason": entry.reason,
            "test": entry.test, "failed": entry.status == .failed,
            "final": entry.status != .pending && entry.status != .retrying,
        ]
    }

    /// The destination after the action's name ("Add tag" “VIP”): its kind is in the action already.
    static func destination(_ destination: Logs.Destination) -> String {
        "“\(destination.name)”"
    }

    static func badge(_ status: Logs.LogStatus) -> String {
        switch status {
        case .success: "success"
        case .failed: "danger"
        case .retrying, .pending: "warning"
        case .skipped: "muted"
        }
    }

    @Sendable func entry(_ request: Request, context: ConsoleContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let session = try context.signedIn
        let entry = try await api.logs(session).getLogEntry(path: .init(id: id)).ok.body.json
        var values = Self.row(entry, actions: try await api.actionNames(session))
        values["event_id"] = entry.eventId
        values["rule_id"] = entry.ruleId ?? "—"
        values["product_id"] = entry.productId ?? "—"
        values["connector"] = entry.connector ?? "—"
        values["updated"] = Display.time(entry.updatedAt)
        values["attempts"] = entry.attempts.map { attempt -> [String: Any] in
            [
                "number": attempt.number, "time": Display.time(attempt.at),
                "outcome": Display.words(attempt.outcome),
                "request": attempt.request, "response": attempt.response, "duration": attempt.durationMs,
            ]
        }
        values["no_attempts"] = entry.attempts.isEmpty
        return try views.page("log-entry", title: "Log entry", tab: .logs, values, context: context)
    }

    @Sendable func replay(_ request: Request, context: ConsoleContext) async throws -> Response {
        let id = try context.parameters.require("id")
        do {
            let accepted = try await api.logs(try context.signedIn).replayLogEntry(path: .init(id: id)).accepted.body
                .json
            return Redirect.to(
                "/logs/\(id.escapedForURL)",
                notice: .success("Replay \(accepted.replay) is queued; this entry shows its outcome in a moment."))
        } catch {
            guard let refusal = APIRefusal(error), refusal.status == 409 || refusal.status == 400 else { throw error }
            return Redirect.to("/logs/\(id.escapedForURL)", notice: .error(refusal.sentence))
        }
    }

    @Sendable func replayFailed(_ request: Request, context: ConsoleContext) async throws -> Response {
        let filter: Filter
        do {
            filter = try Filter(context.form)
        } catch let problem as FormProblem {
            return Redirect.to("/logs", notice: .error(problem.message))
        }
        let accepted = try await api.logs(try context.signedIn).replayLogEntries(
            query: .init(
                email: filter.email, trigger: filter.trigger,
                status: filter.status.flatMap { .init(rawValue: $0.rawValue) },
                integrationId: filter.integrationID, productId: filter.productID, eventId: filter.eventID,
                since: filter.since, until: filter.until)
        ).accepted.body.json
        let count = accepted.queued == 1 ? "1 failed entry is" : "\(accepted.queued) failed entries are"
        let more = accepted.more ? " More match; replay again for the next ones." : ""
        return Redirect.to(
            "/logs?" + filter.query, notice: .success("\(count) queued for replay.\(more)"))
    }

    @Sendable func configLogs(_ request: Request, context: ConsoleContext) async throws -> Response {
        let cursor: String? = request.uri.queryParameters.get("cursor").map { String($0) }
        let page = try await api.logs(try context.signedIn).listConfigLogs(query: .init(limit: 50, cursor: cursor)).ok
            .body.json
        var values: [String: Any] = [
            "entries": page.entries.map { entry -> [String: Any] in
                [
                    "time": Display.time(entry.at), "integration": entry.integrationLabel,
                    "integration_id": entry.integrationId, "kind": Self.kind(entry.kind).text,
                    "badge": Self.kind(entry.kind).badge, "message": entry.message,
                ]
            },
            "empty": page.entries.isEmpty,
        ]
        if let next = page.nextCursor { values["next"] = "/config-logs?cursor=\(next.escapedForURL)" }
        return try views.page("config-logs", title: "Configuration logs", tab: .logs, values, context: context)
    }

    static func kind(_ kind: Logs.ConfigLogKind) -> (text: String, badge: String) {
        switch kind {
        case .connected: ("Connected", "success")
        case .refreshed: ("Refreshed", "success")
        case .refreshFailed: ("Refresh failed", "danger")
        case .needsReconnect: ("Needs reconnecting", "warning")
        }
    }
}
