"""deploy/monitoring: Prometheus's scrape targets, the alert rules (promtool) and Grafana's dashboards.

Checked without starting the suite: every metric a rule or a dashboard queries must be one the code
registers (shared/metrics.py, gateway/metrics.py), RabbitMQ's plugin exports, or a recording rule defines.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import prometheus_client
import pytest
import yaml

from shared.settings import GATEWAY_PORT, SERVICE_PORTS, repo_root

ROOT = repo_root()
BIN = Path(sys.executable).parent
MONITORING = ROOT / "deploy" / "monitoring"
RULES = sorted((MONITORING / "rules").glob("*.yml"))
DASHBOARDS = sorted((MONITORING / "grafana" / "dashboards").glob("*.json"))

# RabbitMQ's rabbitmq_prometheus plugin (aggregated on :15692/metrics, per queue on /metrics/per-object).
RABBITMQ_METRICS = {
    "rabbitmq_queue_messages", "rabbitmq_queue_messages_ready", "rabbitmq_queue_messages_unacked",
    "rabbitmq_global_messages_received_total", "rabbitmq_global_messages_delivered_total",
    "rabbitmq_global_messages_redelivered_total", "rabbitmq_connections", "rabbitmq_process_resident_memory_bytes",
}
PROMETHEUS_METRICS = {"up"}
PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "inf", "nan",
}


def exported_metrics() -> set[str]:
    """Every sample name the suite's processes can export (counters' `_total`, histograms' `_bucket`, …)."""
    import gateway.metrics  # noqa: F401 - registers the gateway's metrics
    import shared.metrics  # noqa: F401

    return set(prometheus_client.REGISTRY._names_to_collectors)  # noqa: SLF001 - the registry's own name index


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (label matchers, grouping labels, functions and strings removed)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings (regexes of matchers)
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr):
        following = expr[match.end():].lstrip()[:1]
        word = match.group()
        if following == "(" or word.lower() in PROMQL_WORDS:
            continue
        if re.fullmatch(r"\d+[smhdwy]", word) or expr[max(0, match.start() - 1)].isdigit():
            continue
        names.add(word)
    return names


def _rules() -> list[dict]:
    return [rule for path in RULES for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[tuple[str, str]]:
    return [(path.name, target["expr"]) for path in DASHBOARDS for p in json.loads(path.read_text())["panels"]
            for target in p["targets"]]


def test_the_metric_name_parser_finds_names_and_nothing_else():
    expr = 'sum by (service, le) (rate(http_request_duration_seconds_bucket{route=~"/a.*"}[5m])) / on(job) up > 0.5'
    assert metric_names(expr) == {"http_request_duration_seconds_bucket", "up"}
    assert metric_names("service:http_requests:rate5m > 1e3") == {"service:http_requests:rate5m"}


def test_every_metric_a_rule_or_a_dashboard_queries_is_exported_or_recorded():
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    known = exported_metrics() | RABBITMQ_METRICS | PROMETHEUS_METRICS | recorded
    queried = [(f"rule {rule.get('alert') or rule.get('record')}", rule["expr"]) for rule in _rules()] + _dashboard_exprs()
    assert queried
    unknown = {(where, name) for where, expr in queried for name in metric_names(expr) if name not in known}
    assert not unknown, f"queries of metrics nobody exports: {sorted(unknown)}"


def test_the_suites_metrics_follow_prometheus_naming_with_bounded_labels():
    from prometheus_client.metrics import MetricWrapperBase

    import gateway.metrics
    import shared.metrics

    ours = [m for module in (shared.metrics, gateway.metrics) for m in vars(module).values() if isinstance(m, MetricWrapperBase)]
    assert len(ours) >= 12
    for metric in ours:
        name = metric._name  # noqa: SLF001 - the family name, before the client's suffixes
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        if metric._type == "histogram":  # noqa: SLF001
            assert name.endswith("_seconds"), f"{name}: durations in seconds"
        assert not {"path", "url", "tenant_id", "user_id", "event_id", "request_id"} & set(metric._labelnames), (  # noqa: SLF001
            f"{name}: an unbounded label")
    assert "http_requests_total" in exported_metrics() and "events_redelivered_total" in exported_metrics()


def test_the_dashboards_are_what_build_makes():
    module = _build_module()
    built = module.dashboards()
    assert {path.name for path in DASHBOARDS} == set(built)
    for path in DASHBOARDS:
        assert path.read_text() == module.render(built[path.name]), f"{path.name}: run deploy/monitoring/build.py"
    uids = [json.loads(path.read_text())["uid"] for path in DASHBOARDS]
    assert len(set(uids)) == len(uids)
    assert {"suite-overview", "suite-event-bus"} | {f"suite-{s}" for s in SERVICE_PORTS} == set(uids)


def test_prometheus_scrapes_every_process_of_compose():
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    targets = {job["job_name"]: {t for static in job["static_configs"] for t in static["targets"]}
               for job in config["scrape_configs"]}
    assert targets["api"] == {f"{service}:{port}" for service, port in SERVICE_PORTS.items()}
    assert targets["gateway"] == {f"gateway:{GATEWAY_PORT}"}
    assert targets["worker"] == {f"{service}-worker:9100" for service in SERVICE_PORTS}
    assert targets["rabbitmq"] == targets["rabbitmq-queues"] == {"rabbitmq:15692"}
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for service in SERVICE_PORTS:
        assert compose[f"{service}-worker"]["environment"]["METRICS_PORT"] == "9100"
    for job in config["scrape_configs"]:  # the `service` label every rule and dashboard groups by
        for static in job["static_configs"]:
            assert static["labels"]["service"]
    assert "./deploy/monitoring/rules:/etc/prometheus/rules:ro" in compose["prometheus"]["volumes"]
    assert "rabbitmq:3" in compose["rabbitmq"]["image"]  # the official image ships rabbitmq_prometheus enabled
    assert "${GRAFANA_ADMIN_PASSWORD:?" in compose["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]


def test_grafana_is_provisioned_with_prometheus_jaeger_and_the_dashboards():
    sources = yaml.safe_load((MONITORING / "grafana" / "provisioning" / "datasources" / "datasources.yml").read_text())
    assert {(s["type"], s["uid"]) for s in sources["datasources"]} == {("prometheus", "prometheus"), ("jaeger", "jaeger")}
    for path in DASHBOARDS:
        for p in json.loads(path.read_text())["panels"]:
            assert p["datasource"]["uid"] == "prometheus", (path.name, p["title"])


def test_every_alert_has_a_severity_and_a_runbook_section():
    operations = (ROOT / "docs" / "operations.md").read_text()
    anchors = {re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
               for line in operations.splitlines() if line.startswith("#")}
    alerts = [rule for rule in _rules() if "alert" in rule]
    assert {"SuiteProcessDown", "SuiteHighErrorRatio", "OutboxStalled", "OutboxBacklogGrowing", "DeadLettersPresent"} <= {
        rule["alert"] for rule in alerts}
    for rule in alerts:
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        runbook = rule["annotations"]["runbook"]
        assert runbook.startswith("docs/operations.md#"), rule["alert"]
        assert runbook.split("#", 1)[1] in anchors, f"{rule['alert']}: no section {runbook} in docs/operations.md"


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None and os.environ.get("PROMTOOL_REQUIRED"):
        pytest.fail("promtool is required here (.ci/run installs Debian's prometheus package)")
    if found is None:
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus); the Python checks above still run")
    return found


def test_promtool_accepts_the_rules():
    result = subprocess.run([_promtool(), "check", "rules", *map(str, RULES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests_pass():
    tests = sorted((MONITORING / "rules" / "tests").glob("*.yml"))
    assert tests
    result = subprocess.run([_promtool(), "test", "rules", *map(str, tests)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# ---- deploy/k8s/components/monitoring (Prometheus Operator) -------------------------------------------

COMPONENT = ROOT / "deploy" / "k8s" / "components" / "monitoring"
CRDS = Path(__file__).parent / "crds"  # openAPIV3Schema of the operator's v1 CRDs (crds/README.md)


def _build_module():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("build", MONITORING / "build.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def _unknown_fields(document: object, schema: dict, where: str = "") -> list[str]:
    """Fields the schema does not declare (the API server would prune them silently: a typo is lost)."""
    found: list[str] = []
    if isinstance(document, dict) and "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
        for key, value in document.items():
            if key not in schema["properties"]:
                found.append(f"{where}.{key}")
            else:
                found += _unknown_fields(value, schema["properties"][key], f"{where}.{key}")
    elif isinstance(document, list) and "items" in schema:
        for n, item in enumerate(document):
            found += _unknown_fields(item, schema["items"], f"{where}[{n}]")
    return found


def validate_crd_object(document: dict) -> None:
    import jsonschema

    schema = json.loads((CRDS / f"monitoring.coreos.com_v1_{document['kind']}.json").read_text())
    # The schemas' patterns are Go regexes (`(?i)` mid-pattern), so the schema itself is not checked as Python's.
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in jsonschema.Draft7Validator(schema).iter_errors(document)]
    assert not errors, errors
    assert not _unknown_fields(document, schema), f"{document['kind']} {document['metadata']['name']}"


def _render_with_monitoring(tmp_path: Path) -> list[dict]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl (for `kubectl kustomize`) is not installed")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    k8s = os.path.relpath(ROOT / "deploy" / "k8s", overlay)
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "namespace": "suite",
        "resources": [f"{k8s}/base"],
        "components": [f"{k8s}/components/network-policies", f"{k8s}/components/monitoring"],
    }))
    out = subprocess.run(["kubectl", "kustomize", str(overlay)], capture_output=True, text=True, check=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def test_the_monitoring_component_renders_and_validates_with_the_operators_schemas(tmp_path):
    documents = _render_with_monitoring(tmp_path)
    operator = [d for d in documents if d["apiVersion"].startswith("monitoring.coreos.com/")]
    core = [d for d in documents if d not in operator]
    for document in operator:
        validate_crd_object(document)
    rendered = tmp_path / "core.yaml"
    rendered.write_text(yaml.safe_dump_all(core))
    result = subprocess.run([str(BIN / "kubernetes-validate"), "--strict", "--quiet", str(rendered)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {(d["kind"], d["metadata"]["name"]) for d in operator} == {
        ("PodMonitor", "suite-apis"), ("PodMonitor", "suite-workers"), ("PodMonitor", "rabbitmq"), ("PrometheusRule", "suite")}
    [rule] = [d for d in operator if d["kind"] == "PrometheusRule"]
    assert rule["spec"]["groups"] == yaml.safe_load((MONITORING / "rules" / "suite.yml").read_text())["groups"]
    [dashboards] = [d for d in core if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "suite-dashboards"]
    assert set(dashboards["data"]) == {path.name for path in DASHBOARDS}
    workers = [d for d in core if d["kind"] == "Deployment"
               and d["metadata"]["labels"].get("app.kubernetes.io/component") in ("relay", "consumer")]
    assert len(workers) == 2 * len(SERVICE_PORTS)
    for worker in workers:
        [container] = worker["spec"]["template"]["spec"]["containers"]
        assert {"name": "METRICS_PORT", "value": "9100"} in container["env"], worker["metadata"]["name"]
        assert {"name": "metrics", "containerPort": 9100} in container["ports"]
    [rabbitmq] = [d for d in core if d["kind"] == "StatefulSet" and d["metadata"]["name"] == "rabbitmq"]
    assert {"name": "prometheus", "containerPort": 15692} in rabbitmq["spec"]["template"]["spec"]["containers"][0]["ports"]


def test_the_crd_check_catches_a_misspelt_field():
    monitor = next(yaml.safe_load_all((COMPONENT / "pod-monitors.yaml").read_text()))
    validate_crd_object(monitor)
    monitor["spec"]["podMetricsEndpoints"][0]["intervall"] = "15s"
    with pytest.raises(AssertionError):
        validate_crd_object(monitor)


def test_the_components_generated_files_are_what_build_makes():
    for name, text in _build_module().k8s_files().items():
        assert (COMPONENT / name).read_text() == text, f"{name}: run deploy/monitoring/build.py"


def test_every_multi_process_server_shares_its_metrics_and_no_worker_does():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in [*SERVICE_PORTS, "gateway"]:
        assert compose[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"].startswith("/tmp/"), name
        manifest = yaml.safe_load_all((ROOT / "deploy" / "k8s" / "base" / f"{name}.yaml").read_text())
        [server] = [c for doc in manifest if doc and doc.get("kind") == "Deployment"
                    for c in doc["spec"]["template"]["spec"]["containers"] if c["command"][0] == "granian"]
        assert {"name": "PROMETHEUS_MULTIPROC_DIR", "value": "/tmp/prometheus-metrics"} in server["env"], name
        assert "/tmp" in {mount["mountPath"] for mount in server["volumeMounts"]}, f"{name}: /tmp must be writable"
    for service in SERVICE_PORTS:
        assert "PROMETHEUS_MULTIPROC_DIR" not in compose[f"{service}-worker"]["environment"]


def test_promtool_accepts_compose_prometheus_configuration():
    result = subprocess.run([_promtool(), "check", "config", "--syntax-only", str(MONITORING / "prometheus.yml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
