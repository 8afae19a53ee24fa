#!/usr/bin/env python3
"""Writes Shared/ServiceRuntime/OpenAPIDocument.swift: the OpenAPI 3.1 document both HTTP services serve."""
import json, sys
root = sys.argv[1]
err = {"$ref": "#/components/responses/Error"}
def op(summary, ok_code="200", ok_schema=None, params=None, body=None, errors=("400","401"), tag=None, security=True):
    o = {"summary": summary, "responses": {ok_code: {"description": "success"}}}
    if ok_schema: o["responses"][ok_code]["content"] = {"application/json": {"schema": ok_schema}}
    # Any request may be refused before its handler: 400 for control characters in the path or query, 503 while
    # the database is away (with Retry-After); with an API key also 429 when unknown keys exceed the lookup budget.
    common = ("400", "503") + (("429",) if security else ())
    for e in sorted(set(errors) | set(common)): o["responses"][e] = err
    if params: o["parameters"] = params
    if body: o["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if tag: o["tags"] = [tag]
    if not security: o["security"] = []
    return o
def q(name, desc, schema={"type": "string"}): return {"name": name, "in": "query", "required": False, "description": desc, "schema": schema}
def p(name): return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
obj = lambda props, req=(): {"type": "object", "properties": props, **({"required": list(req)} if req else {})}
s = {"type": "string"}; b = {"type": "boolean"}; i = {"type": "integer"}
money = obj({"amount": s, "currency": s}, ["amount", "currency"])
product = obj({"id": s, "name": s, "price": s, "currency": s}, ["id"])
triggers = ["product.purchased","upsell.purchased","order.completed","product.refunded","product.partially_refunded","prospect.created","subscription.charged","subscription.charge_failed","subscription.delinquent","subscription.canceled","subscription.recovered","subscription.restarted"]
event = obj({"id": s, "type": {"type": "string", "enum": triggers}, "occurred_at": {"type": "string", "format": "date-time"}, "test": b,
    "customer": obj({"email": {"type": "string", "format": "email"}, "first_name": s, "last_name": s, "phone": s}, ["email"]),
    "product": product, "purchase_kind": {"type": "string", "enum": ["primary","upsell","order_bump","payment_option"]},
    "order": obj({"id": s, "total": s, "currency": s, "coupon": s, "items": {"type": "array", "items": obj({"product": product, "purchase_kind": s}, ["product"])}}, ["id"]),
    "subscription": obj({"id": s, "status": s, "failed_charges": i}, ["id"]), "refund": money}, ["id", "type", "customer"])
kinds = ["list","tag","group","level","offer","url"]
destination = obj({"kind": {"type": "string", "enum": kinds}, "id": {"type": "string", "description": "the app's id; filled in when the catalog has the destination"}, "name": s,
    "parent_id": {"type": "string", "description": "the id of the list (audience) a tag or group belongs to: required for actions with a parent_kind unless the catalog entry brings it"},
    "from_catalog": {"type": "boolean", "readOnly": True, "description": "false when typed by hand"}}, ["kind", "name"])
rule_in = obj({"scope": {"type": "string", "enum": ["global","product"]}, "product_id": s, "trigger": {"type": "string", "enum": triggers},
    "integration_id": s, "action": s, "destination": destination, "enabled": b}, ["scope","trigger","integration_id","action","destination"])
rule = {"allOf": [rule_in, obj({"id": s, "created_at": s, "updated_at": s})]}
integration = obj({"id": s, "connector": s, "label": s, "status": {"type": "string", "enum": ["connected","needs_reconnect","error"]}, "account": s, "refreshed_at": s, "created_at": s,
    "signing_secret": {"type": "string", "description": "webhook only, once: when the secret is made (create, new credentials)"}})
catalog_entry = obj({"kind": {"type": "string", "enum": kinds}, "id": s, "name": s, "parent_id": s}, ["kind", "id", "name"])
oauth_start = obj({"authorize_url": s, "state": s, "expires_at": s}, ["authorize_url", "state", "expires_at"])
attempt = obj({"number": i, "at": s, "outcome": s, "request": s, "response": s, "duration_ms": i})
entry = obj({"id": s, "event_id": s, "trigger": s, "test": b, "customer_email": s, "product_id": s, "rule_id": s, "integration_id": s,
    "integration_label": s, "connector": s, "action": s, "destination": destination,
    "status": {"type": "string", "enum": ["pending","success","retrying","failed","skipped"]}, "reason": s,
    "attempts": {"type": "array", "items": attempt}, "created_at": s, "updated_at": s})
accept = obj({"event_id": s, "status": {"type": "string", "enum": ["accepted", "duplicate"]}})
schemas = {"TriggerEvent": event, "Destination": destination, "RuleInput": rule_in, "Rule": rule,
           "Integration": integration, "LogEntry": entry, "Attempt": attempt, "CatalogEntry": catalog_entry,
           "OAuthStart": oauth_start}
def ref(name): return {"$ref": f"#/components/schemas/{name}"}
# Inline definitions above are registered once; everything below refers to them.
entry["properties"]["attempts"] = {"type": "array", "items": ref("Attempt")}
entry["properties"]["destination"] = ref("Destination")
rule_in["properties"]["destination"] = ref("Destination")
rule["allOf"][0] = ref("RuleInput")
event, destination, rule_in, rule, integration, entry, catalog_entry, oauth_start = (ref("TriggerEvent"), ref("Destination"),
    ref("RuleInput"), ref("Rule"), ref("Integration"), ref("LogEntry"), ref("CatalogEntry"), ref("OAuthStart"))
connect = op("Connect an app. With credentials they are verified by the app first (201); Mailchimp without credentials starts OAuth (200 with the authorize URL and a single-use state); 409 label_taken is checked before any app is asked; 503 connector_unavailable with Retry-After when no worker of the connector answers",
    "201", integration, body=obj({"connector": s, "label": s, "credentials": {"type": "object", "additionalProperties": s}}, ["connector","label"]),
    errors=("400","401","409","422","502","503"), tag="integrations")
connect["responses"]["200"] = {"description": "OAuth started: send the browser to authorize_url", "content": {"application/json": {"schema": oauth_start}}}
paths = {
 "/v1/events": {"post": op("Publish a trigger event; 202 once the broker has confirmed it", "202", accept, body=event, errors=("400","401","413","503"), tag="events")},
 "/v1/events/batch": {"post": op("Publish up to 500 events; answered per event", "200", obj({"results": {"type": "array", "items": obj({"index": i, "event_id": s, "status": {"type": "string", "enum": ["accepted","duplicate","rejected","unavailable"]}, "http_status": {"type": "integer", "description": "for a refused event: the status a single POST /v1/events would have answered (400, 413, 503)"}, "error": obj({"code": s, "message": s, "field": s}, ["code","message"])})}}), body=obj({"events": {"type": "array", "items": event}}, ["events"]), tag="events")},
 "/v1/connectors": {"get": op("Connector descriptors", ok_schema=obj({"connectors": {"type": "array", "items": {"type": "object"}}}), errors=(), tag="connectors", security=False)},
 "/v1/integrations": {"post": connect,
                      "get": op("List integrations", ok_schema=obj({"integrations": {"type": "array", "items": integration}}), errors=("401",), tag="integrations")},
 "/v1/integrations/{id}": {"get": op("Read an integration", ok_schema=integration, params=[p("id")], errors=("401","404"), tag="integrations"),
                           "patch": op("Rename ({label}; 409 label_taken) and/or reconnect ({credentials}, verified by the app; a webhook without any gets a new secret)", ok_schema=integration, params=[p("id")], body=obj({"label": s, "credentials": {"type": "object", "additionalProperties": s}}), errors=("400","401","404","409","422","502","503"), tag="integrations"),
                           "delete": op("Delete an integration and its catalog; 409 integration_in_use with error.rule_ids while rules use it, unless cascade=true deletes them too", "204", params=[p("id"), q("cascade", "true: also delete the rules that use it", b)], errors=("400","401","404","409"), tag="integrations")},
 "/v1/integrations/{id}/refresh": {"post": op("Re-read the app's lists, tags and groups into the catalog; 409 needs_reconnect when the app refuses the credentials, 502 when the app refuses or fails, 503 when no worker answers", ok_schema=obj({"integration": integration, "catalog_counts": {"type": "object", "additionalProperties": i}}), params=[p("id")], errors=("400","401","404","409","502","503"), tag="integrations")},
 "/v1/integrations/{id}/catalog": {"get": op("Typeahead over the catalog: names starting with prefix (ignoring case), ordered by name", ok_schema=obj({"entries": {"type": "array", "items": catalog_entry}}), params=[p("id"), q("kind", "one destination kind"), q("prefix", "case-insensitive"), q("limit", "1 to 500, default 50", i)], errors=("400","401","404"), tag="integrations")},
 "/v1/oauth/callback": {"get": op("Where the app sends the browser back after an OAuth sign-in; no API key: the single-use state names the marketplace and label. 400 invalid_state (unknown, used, expired) or access_denied", "201", integration, params=[q("code", "the authorization code"), q("state", "as issued by POST /v1/integrations"), q("error", "set by the app when access was refused")], errors=("400","409","422","502","503"), tag="integrations", security=False)},
 "/v1/rules": {"post": op("Create a rule", "201", rule, body=rule_in, tag="rules"),
               "get": op("List rules", ok_schema=obj({"rules": {"type": "array", "items": rule}}), params=[q("product_id","only this product's rules"), q("scope","global or product"), q("trigger","one trigger type")], tag="rules")},
 "/v1/rules/{id}": {"get": op("Read a rule", ok_schema=rule, params=[p("id")], errors=("401","404"), tag="rules"),
                    "patch": op("Change a rule (any field; {\"enabled\": false} disables it); validated as on create", ok_schema=rule, params=[p("id")], body=obj({"scope": s, "product_id": s, "trigger": s, "integration_id": s, "action": s, "destination": destination, "enabled": b}), errors=("400","401","404"), tag="rules"),
                    "delete": op("Delete a rule", "204", params=[p("id")], errors=("401","404"), tag="rules")},
 "/admin/v1/marketplaces": {"post": op("Create a marketplace and its API key (shown once); admin token", "201", obj({"id": s, "name": s, "api_key": s, "created_at": s}), body=obj({"name": s}, ["name"]), errors=("400","401","403"), tag="admin")},
 "/v1/logs": {"get": op("Search the log, newest first", ok_schema=obj({"entries": {"type": "array", "items": entry}, "next_cursor": s}),
    params=[q("email","case-insensitive"), q("trigger",""), q("status",""), q("integration_id",""), q("product_id",""), q("event_id",""), q("since","RFC 3339"), q("until","RFC 3339"), q("limit","1 to 500", {"type":"integer"}), q("cursor","from next_cursor")], tag="logs")},
 "/v1/logs/{id}": {"get": op("One entry with every attempt", ok_schema=entry, params=[p("id")], errors=("401","404"), tag="logs")},
 "/v1/logs/{id}/replay": {"post": op("Perform a failed entry's action again; the entry records the new attempt", "202", obj({"id": s, "status": s, "attempt": i, "replay": i}), params=[p("id")], errors=("401","404","409","503"), tag="logs")},
 "/v1/logs/replay": {"post": op("Bulk replay: perform again the failed entries that match the search filters, newest first, at most limit (1 to 500, default 100)", "202", obj({"queued": i, "ids": {"type": "array", "items": s}, "more": b}),
    params=[q("email","case-insensitive"), q("trigger",""), q("status","failed only"), q("integration_id",""), q("product_id",""), q("event_id",""), q("since","RFC 3339"), q("until","RFC 3339"), q("limit","1 to 500", {"type":"integer"})], errors=("400","401"), tag="logs")},
 "/v1/config-logs": {"get": op("Configuration log: integration connected / refreshed / refresh failed / needs reconnect, newest first", ok_schema=obj({"entries": {"type": "array", "items": obj({"integration_id": s, "integration_label": s, "kind": {"type": "string", "enum": ["connected","refreshed","refresh_failed","needs_reconnect"]}, "message": s, "at": s})}, "next_cursor": s}), params=[q("limit","1 to 500", {"type":"integer"}), q("cursor","from next_cursor")], errors=("400","401"), tag="logs")},
 "/openapi.json": {"get": {"summary": "This document", "tags": ["operations"], "security": [], "responses": {"200": {"description": "OpenAPI 3.1"}}}},
 "/health": {"get": op("200 when the process can do its work, 503 with the reasons", errors=("503",), tag="operations", security=False)},
 "/metrics": {"get": {"summary": "Prometheus metrics", "tags": ["operations"], "security": [], "responses": {"200": {"description": "text/plain; version=0.0.4"}}}},
}
# Every operation has an id; the id a create answers is what the by-id operations take (OpenAPI links), so a
# client that follows links — schemathesis' stateful phase — reaches them with real ids.
import re
def operation_id(method, path): return method + re.sub(r"[^A-Za-z0-9]+", "_", path).rstrip("_")
for path, ops in paths.items():
    for method, o in ops.items(): o["operationId"] = operation_id(method, path)
def link(path, method, code, targets, source="$response.body#/id"):
    paths[path][method]["responses"][code]["links"] = {
        operation_id(m, t): {"operationId": operation_id(m, t), "parameters": {"id": source}} for m, t in targets}
by_integration = [("get", "/v1/integrations/{id}"), ("patch", "/v1/integrations/{id}"),
    ("delete", "/v1/integrations/{id}"), ("post", "/v1/integrations/{id}/refresh"),
    ("get", "/v1/integrations/{id}/catalog")]
link("/v1/integrations", "post", "201", by_integration)
link("/v1/rules", "post", "201", [("get", "/v1/rules/{id}"), ("patch", "/v1/rules/{id}"), ("delete", "/v1/rules/{id}")])
link("/v1/logs", "get", "200", [("get", "/v1/logs/{id}"), ("post", "/v1/logs/{id}/replay")],
     source="$response.body#/entries/0/id")
extra = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else {}
for path, ops in extra.items(): paths.setdefault(path, {}).update(ops)
doc = {"openapi": "3.1.0", "info": {"title": "Switchyard", "version": "1.0.0",
  "description": "Gateway (default :8080): events, connectors, integrations, rules, admin. Log service (default :8081): /v1/logs. Every process: /health, /metrics."},
  "servers": [{"url": "http://127.0.0.1:8080", "description": "gateway"}, {"url": "http://127.0.0.1:8081", "description": "log service"}],
  "security": [{"bearer": []}],
  "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "a marketplace API key (the admin token for /admin)"}},
    "responses": {"Error": {"description": "an error", "content": {"application/json": {"schema": obj({"error": obj({"code": s, "message": s, "field": s, "rule_ids": {"type": "array", "items": s}}, ["code","message"])}, ["error"])}}}}},
  "paths": dict(sorted(paths.items()))}
text = json.dumps(doc, indent=1, sort_keys=False)
swift = '''/// The public API as an OpenAPI 3.1 document, served at `GET /openapi.json` by the gateway and the log service.
/// Generated by `deploy/tools/gen-openapi.py`; edit that script, not this file.
public enum OpenAPIDocument {
    public static let json = #"""
''' + text + '''
"""#
}
'''
open(f"{root}/Shared/ServiceRuntime/OpenAPIDocument.swift", "w").write(swift)
print("paths:", len(paths))
