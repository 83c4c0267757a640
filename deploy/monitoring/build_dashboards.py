"""Builds the suite's Grafana dashboards as JSON (`python deploy/monitoring/build_dashboards.py`).

Dashboards as code: the JSON under grafana/dashboards/ is this script's output, checked in so that compose
and the kustomize component mount it as is; tests/deploy/test_monitoring.py fails when they differ, and
checks that every metric a panel queries is one the suite exports (or RabbitMQ's, or a recording rule).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "grafana" / "dashboards"
SERVICES = ("identity", "entitlements", "licensing", "billing", "marketplace", "notifier")
PROMETHEUS = {"type": "prometheus", "uid": "prometheus"}
JAEGER_SEARCH = "http://localhost:16686/search?service=${service}"


def panel(title: str, exprs: dict[str, str], unit: str = "short", kind: str = "timeseries", width: int = 12,
          links: list[dict] | None = None) -> dict:
    return {
        "type": kind,
        "title": title,
        "datasource": PROMETHEUS,
        "gridPos": {"h": 8, "w": width, "x": 0, "y": 0},
        "fieldConfig": {"defaults": {"unit": unit, "links": links or []}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}} if kind == "timeseries" else {},
        "targets": [
            {"refId": chr(ord("A") + n), "datasource": PROMETHEUS, "expr": expr, "legendFormat": legend}
            for n, (legend, expr) in enumerate(exprs.items())
        ],
    }


def layout(panels: list[dict]) -> list[dict]:
    x = y = 0
    for n, p in enumerate(panels, start=1):
        w, h = p["gridPos"]["w"], p["gridPos"]["h"]
        if x + w > 24:
            x, y = 0, y + h
        p["gridPos"].update(x=x, y=y)
        p["id"] = n
        x += w
    return panels


def dashboard(uid: str, title: str, panels: list[dict], variables: list[dict] | None = None, tags: tuple = ()) -> dict:
    return {
        "uid": uid,
        "title": title,
        "tags": ["suite", *tags],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "editable": False,
        "templating": {"list": variables or []},
        "links": [
            {"title": "Suite overview", "type": "link", "url": "/d/suite-overview"},
            {"title": "Event bus", "type": "link", "url": "/d/suite-event-bus"},
            {"title": "Traces (Jaeger)", "type": "link", "url": "http://localhost:16686/search", "targetBlank": True},
        ],
        "panels": layout(panels),
    }


def constant(name: str, value: str) -> dict:
    return {"name": name, "type": "constant", "query": value, "hide": 2}


def overview() -> dict:
    return dashboard("suite-overview", "Suite overview", [
        panel("Processes up", {"{{job}} {{service}}": 'up{job=~"api|gateway|worker|rabbitmq"}'}, kind="stat", width=24),
        panel("Requests per second by service", {"{{service}}": "service:http_requests:rate5m"}, "reqps"),
        panel("5xx ratio by service", {"{{service}}": "service:http_server_errors:rate5m / service:http_requests:rate5m"},
              "percentunit"),
        panel("p95 request time by service", {"{{service}}": "service:http_request_duration_seconds:p95_5m"}, "s"),
        panel("Gateway: requests per second by target and status",
              {"{{service}} {{status}}": "sum by (service, status) (rate(gateway_requests_total[5m]))"}, "reqps"),
        panel("Gateway: p95 upstream time", {"{{service}}": "histogram_quantile(0.95, sum by (service, le) "
                                                           "(rate(gateway_upstream_duration_seconds_bucket[5m])))"}, "s"),
        panel("Oldest unpublished event", {"{{service}}": "max by (service) (outbox_oldest_unpublished_age_seconds)"}, "s"),
        panel("Dead-lettered messages waiting", {"{{queue}}": 'rabbitmq_queue_messages{queue=~".+\\\\.dlq"}'}),
        panel("Payment callbacks by result", {"{{result}}": "sum by (result) (rate(payment_callbacks_total[5m]))"}, "ops"),
        panel("Mail and SMS by outcome",
              {"{{channel}} {{outcome}}": "sum by (channel, outcome) (rate(notifications_total[5m]))"}, "ops"),
        panel("Usage deductions and refusals (entitlements)", {
            "{{status}}": 'sum by (status) (rate(http_requests_total{service="entitlements", route=~".*/usage.*", method="POST"}[5m]))',
        }, "reqps"),
    ])


def event_bus() -> dict:
    return dashboard("suite-event-bus", "Event bus", [
        panel("Events published per second (outbox relays)",
              {"{{service}}": "sum by (service) (rate(outbox_events_published_total[5m]))"}, "ops"),
        panel("Outbox backlog", {"{{service}}": "max by (service) (outbox_backlog_events)"}),
        panel("Oldest unpublished event", {"{{service}}": "max by (service) (outbox_oldest_unpublished_age_seconds)"}, "s"),
        panel("Outbox publish failures", {"{{service}}": "sum by (service) (rate(outbox_publish_failures_total[5m]))"}, "ops"),
        panel("Events consumed by outcome",
              {"{{service}} {{outcome}}": "sum by (service, outcome) (rate(events_consumed_total[5m]))"}, "ops"),
        panel("p95 handling time by event type", {"{{service}} {{type}}": "histogram_quantile(0.95, sum by (service, type, le) "
                                                                       "(rate(event_handling_seconds_bucket[5m])))"}, "s"),
        panel("Redeliveries per queue", {"{{queue}}": "sum by (queue) (rate(events_redelivered_total[5m]))"}, "ops"),
        panel("Dead-lettered per queue (consumers)", {"{{queue}}": "sum by (queue) (increase(events_dead_lettered_total[1h]))"}),
        panel("RabbitMQ: messages ready per queue", {"{{queue}}": "sum by (queue) (rabbitmq_queue_messages_ready)"}),
        panel("RabbitMQ: unacknowledged per queue", {"{{queue}}": "sum by (queue) (rabbitmq_queue_messages_unacked)"}),
        panel("RabbitMQ: dead-letter queues", {"{{queue}}": 'rabbitmq_queue_messages{queue=~".+\\\\.dlq"}'}),
        panel("RabbitMQ: publish and deliver rates", {
            "published": "sum(rate(rabbitmq_global_messages_received_total[5m]))",
            "delivered": "sum(rate(rabbitmq_global_messages_delivered_total[5m]))",
            "redelivered": "sum(rate(rabbitmq_global_messages_redelivered_total[5m]))",
        }, "ops"),
        panel("RabbitMQ: connections and memory", {
            "connections": "sum(rabbitmq_connections)",
            "memory bytes": "sum(rabbitmq_process_resident_memory_bytes)",
        }),
    ], tags=("rabbitmq",))


def service(name: str) -> dict:
    traces = [{"title": "Traces of ${service} in Jaeger", "url": JAEGER_SEARCH, "targetBlank": True}]
    selector = 'service="$service"'
    panels = [
        panel("Requests per second by route",
              {"{{method}} {{route}}": f"sum by (method, route) (rate(http_requests_total{{{selector}}}[5m]))"},
              "reqps", width=24),
        panel("Errors by route and status", {
            "{{method}} {{route}} {{status}}":
                f'sum by (method, route, status) (rate(http_requests_total{{{selector}, status=~"4..|5.."}}[5m]))',
        }, "reqps"),
        panel("p95 time by route (click for traces)", {
            "{{method}} {{route}}": f'route:http_request_duration_seconds:p95_5m{{{selector}}}',
        }, "s", links=traces),
        panel("Outbox backlog and oldest age", {
            "backlog": f"max(outbox_backlog_events{{{selector}}})",
            "oldest (s)": f"max(outbox_oldest_unpublished_age_seconds{{{selector}}})",
        }),
        panel("Events consumed by type and outcome", {
            "{{type}} {{outcome}}": f"sum by (type, outcome) (rate(events_consumed_total{{{selector}}}[5m]))",
        }, "ops"),
    ]
    if name == "billing":
        panels.append(panel("Payment callbacks by result", {"{{result}}": "sum by (result) (rate(payment_callbacks_total[5m]))"}, "ops"))
    if name == "notifier":
        panels.append(panel("Mail and SMS by outcome",
                            {"{{channel}} {{outcome}}": "sum by (channel, outcome) (rate(notifications_total[5m]))"}, "ops"))
    if name == "entitlements":
        panels.append(panel("Usage deductions (2xx) and refusals (4xx) by route", {
            "{{route}} {{status}}":
                f'sum by (route, status) (rate(http_requests_total{{{selector}, route=~".*/usage.*", method="POST"}}[5m]))',
        }, "reqps"))
    return dashboard(f"suite-{name}", f"Service: {name}", panels, [constant("service", name)], tags=("service",))


def dashboards() -> dict[str, dict]:
    built = {"suite-overview.json": overview(), "event-bus.json": event_bus()}
    built.update({f"service-{name}.json": service(name) for name in SERVICES})
    return built


def render(board: dict) -> str:
    return json.dumps(board, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, board in dashboards().items():
        (OUT / name).write_text(render(board))
    return 0


if __name__ == "__main__":
    sys.exit(main())
