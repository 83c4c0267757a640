"""The gateway's Prometheus metrics (per worker process, like every other process of the suite)."""
from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "gateway_requests_total",
    "Requests answered by the gateway, by target service and status",
    ["service", "method", "status"],
)
UPSTREAM_SECONDS = Histogram(
    "gateway_upstream_duration_seconds",
    "Time from sending a request to a service until its response headers arrive",
    ["service"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


# `labels()` takes a lock and builds a key on every call; the proxy path looks each child up once.
_request_counters: dict[tuple[str, str, int], Counter] = {}
_upstream_histograms: dict[str, Histogram] = {}


def count_request(service: str, method: str, status: int) -> None:
    key = (service, method, status)
    counter = _request_counters.get(key)
    if counter is None:
        counter = _request_counters[key] = REQUESTS.labels(service, method, str(status))
    counter.inc()


def upstream_seconds(service: str) -> Histogram:
    histogram = _upstream_histograms.get(service)
    if histogram is None:
        histogram = _upstream_histograms[service] = UPSTREAM_SECONDS.labels(service)
    return histogram
