"""Prometheus metrics shared by every process of the suite."""
from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests served", ["service", "method", "route", "status"])
HTTP_SECONDS = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_PUBLISHED = Counter("outbox_events_published_total", "Events published by the outbox relay", ["service"])
EVENTS_CONSUMED = Counter("events_consumed_total", "Events consumed", ["service", "type", "outcome"])
EVENT_HANDLING_SECONDS = Histogram("event_handling_seconds", "Time to handle one event", ["service", "type"])
EVENTS_DEAD_LETTERED = Counter("events_dead_lettered_total", "Events sent to a dead-letter queue", ["service", "queue"])
