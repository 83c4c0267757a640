"""Prometheus metrics shared by every process of the suite.

Naming follows Prometheus conventions (`_total` counters, `_seconds` durations, base units) and every label
has a bounded set of values: service names, HTTP methods, route *templates* (never raw paths), status codes,
event types and queue names from the catalogue, and the few outcomes listed beside each metric. The alert
rules and Grafana dashboards in deploy/monitoring use only the names defined here (tests/deploy checks it).

APIs serve these at `/metrics`; workers serve them on `METRICS_PORT` when it is set (compose and deploy/k8s
set 9100; unset, as in tests and `shared.launcher`, no port is opened).
"""
from __future__ import annotations

import logging
import os

# granian runs each API and the gateway as several worker processes; with PROMETHEUS_MULTIPROC_DIR set
# (compose and deploy/k8s set it for them) every process writes its values there and `/metrics` sums them
# (`render`), so one scrape sees the whole server, not whichever process took the request. The directory
# must exist before the first metric below is created.
MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
if MULTIPROC_DIR:
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

from prometheus_client import (  # noqa: E402 - after the directory exists
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests served", ["service", "method", "route", "status"])
HTTP_SECONDS = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_PUBLISHED = Counter("outbox_events_published_total", "Events published by the outbox relay", ["service"])
OUTBOX_BACKLOG = Gauge("outbox_backlog_events", "Outbox rows not yet published (sampled by the relay)", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_unpublished_age_seconds", "Age of the oldest unpublished outbox row (0 when drained)", ["service"]
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "outbox_publish_failures_total", "Outbox batches the broker refused or the relay could not send", ["service"]
)
EVENTS_CONSUMED = Counter("events_consumed_total", "Events consumed", ["service", "type", "outcome"])
EVENT_HANDLING_SECONDS = Histogram("event_handling_seconds", "Time to handle one event", ["service", "type"])
EVENTS_REDELIVERED = Counter(
    "events_redelivered_total", "Deliveries handed back to the queue for another attempt after a failure", ["service", "queue"]
)
EVENTS_DEAD_LETTERED = Counter("events_dead_lettered_total", "Events sent to a dead-letter queue", ["service", "queue"])
LICENSE_SAGA_SECONDS = Histogram(
    "license_saga_seconds",
    "License authorize → seat granted: from the authorization to licensing recording entitlements' grant",
    buckets=(0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
PAYMENT_CALLBACKS = Counter(
    "payment_callbacks_total",
    "Payment provider notices by result (paid, failed, refunded_to_balance, already_processed, rejected, refused)",
    ["result"],
)
NOTIFICATIONS = Counter("notifications_total", "Mail and SMS hand-overs by channel and outcome (sent, failed)", ["channel", "outcome"])

log = logging.getLogger(__name__)


def render() -> tuple[bytes, str]:
    """The exposition for `/metrics`: every process's values summed in multiprocess mode, else this process's."""
    if MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=MULTIPROC_DIR)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST


def serve_worker_metrics() -> int | None:
    """Serves `/metrics` for a worker process on `METRICS_PORT` (unset, empty or 0: none); returns the port.

    A port already taken is logged, not fatal: a worker that relays and consumes without metrics beats none."""
    port = int(os.environ.get("METRICS_PORT", "").strip() or 0)
    if not port:
        return None
    try:
        start_http_server(port)
    except OSError:
        log.warning("worker metrics port unavailable", exc_info=True, extra={"fields": {"port": port}})
        return None
    return port
