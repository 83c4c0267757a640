"""The operators' metrics move when the thing they measure happens (shared/metrics.py)."""
from __future__ import annotations

import socket
import urllib.request

import pytest
from prometheus_client import REGISTRY

from shared import metrics, outbox
from shared.envelope import new_event
from shared.outbox import OutboxRelay

TYPE = "identity.tenant.created.v1"


def sample(name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels` (0 when none yet)."""
    total = 0.0
    for family in REGISTRY.collect():
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


class _Collecting:
    def __init__(self) -> None:
        self.sent: list = []

    def publish_many(self, messages):  # type: ignore[no-untyped-def]
        self.sent.extend(messages)

    def close(self) -> None:
        pass


class _Refusing(_Collecting):
    def publish_many(self, messages):  # type: ignore[no-untyped-def]
        raise ConnectionError("broker away")


def _emit(session_factory, schema, count: int) -> None:
    with session_factory() as session:
        for n in range(count):
            outbox.record(session, schema.platform.outbox, new_event("identity", TYPE, "t-1", {"amount": n}))
        session.commit()


def test_outbox_backlog_and_oldest_age_follow_the_unpublished_rows(engine, session_factory, schema):
    relay = OutboxRelay("metrics-backlog", engine, schema.platform.outbox, _Collecting(), listen=False)
    assert relay.sample_backlog() == (0, 0.0)
    _emit(session_factory, schema, 3)
    count, age = relay.sample_backlog()
    assert count == 3 and age >= 0.0
    assert sample("outbox_backlog_events", service="metrics-backlog") == 3
    published_before = sample("outbox_events_published_total", service="metrics-backlog")
    assert relay.publish_pending() == 3
    assert relay.sample_backlog() == (0, 0.0)
    assert sample("outbox_backlog_events", service="metrics-backlog") == 0
    assert sample("outbox_oldest_unpublished_age_seconds", service="metrics-backlog") == 0
    assert sample("outbox_events_published_total", service="metrics-backlog") == published_before + 3


def test_a_refused_publish_counts_a_failure_and_leaves_the_backlog(engine, session_factory, schema):
    relay = OutboxRelay("metrics-refused", engine, schema.platform.outbox, _Refusing(), listen=False)
    _emit(session_factory, schema, 2)
    failures = sample("outbox_publish_failures_total", service="metrics-refused")
    with pytest.raises(ConnectionError):
        relay.publish_pending()
    assert sample("outbox_publish_failures_total", service="metrics-refused") == failures + 1
    assert relay.sample_backlog()[0] == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_worker_serves_metrics_only_when_given_a_port(monkeypatch):
    monkeypatch.delenv("METRICS_PORT", raising=False)
    assert metrics.serve_worker_metrics() is None
    port = _free_port()
    monkeypatch.setenv("METRICS_PORT", str(port))
    assert metrics.serve_worker_metrics() == port
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    assert "# TYPE outbox_backlog_events gauge" in text
    assert "# TYPE events_redelivered_total counter" in text


def test_a_taken_metrics_port_does_not_stop_the_worker(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        monkeypatch.setenv("METRICS_PORT", str(taken.getsockname()[1]))
        assert metrics.serve_worker_metrics() is None


def test_with_a_multiprocess_directory_metrics_sums_every_server_process(tmp_path):
    """granian's worker processes each count their own requests; one scrape must see all of them."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus")}
    count = ("from shared import metrics; "
             "metrics.HTTP_REQUESTS.labels('demo', 'GET', '/demo/v1/things', '200').inc()")
    for _ in range(2):  # two server processes, one request each
        subprocess.run([sys.executable, "-c", count], env=env, check=True, timeout=60)
    scrape = "from shared import metrics; import sys; sys.stdout.write(metrics.render()[0].decode())"
    text = subprocess.run([sys.executable, "-c", scrape], env=env, check=True, capture_output=True, text=True, timeout=60).stdout
    line = 'http_requests_total{method="GET",route="/demo/v1/things",service="demo",status="200"} 2.0'
    assert line in text
