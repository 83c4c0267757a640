"""docker-compose.yml and deploy/k8s are validated against their schemas, without Docker or a cluster."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shared.installation import SECRETS, compose_env, fresh_values, k8s_secret
from shared.launcher import Suite, http_server_command
from shared.settings import GATEWAY_PORT, SERVICE_PORTS, WEB_PORT, repo_root

ROOT = repo_root()
BIN = Path(sys.executable).parent


def test_compose_file_matches_the_compose_specification():
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_every_service_with_its_worker_and_the_real_parts():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for part in ("postgres", "rabbitmq", "mailpit", "jaeger", "gateway", "web", "redis"):
        assert part in compose
    assert compose["web"]["environment"]["WEB_SESSION_REDIS_URL"].startswith("redis://redis:")
    assert "healthcheck" in compose["web"]
    for service in SERVICE_PORTS:
        assert "healthcheck" in compose[service]
        assert compose[f"{service}-worker"]["command"][-1] == f"services.{service}.entrypoints.worker"
        assert compose[service]["environment"][f"{service.upper()}_DATABASE_URL"].endswith(f"/{service}")


def _render(overlay: str) -> list[dict]:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl (for `kubectl kustomize`) is not installed; the base files are validated one by one below")
    out = subprocess.run(
        ["kubectl", "kustomize", str(ROOT / "deploy" / "k8s" / "overlays" / overlay)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def _validate(path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "kubernetes-validate"), "--strict", "--quiet", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_kustomize_overlays_render_and_validate_against_kubernetes_schemas(overlay, tmp_path):
    documents = _render(overlay)
    rendered = tmp_path / f"{overlay}.yaml"
    rendered.write_text(yaml.safe_dump_all(documents))
    _validate(rendered)
    names = {(d["kind"], d["metadata"]["name"]) for d in documents}
    for service in SERVICE_PORTS:
        for component in ("api", "relay", "consumer"):
            assert ("Deployment", f"{service}-{component}") in names
        assert ("Service", service) in names
        assert ("HorizontalPodAutoscaler", f"{service}-api") in names
    assert ("Ingress", "suite") in names
    for name in ("web", "redis"):
        assert ("Deployment", name) in names and ("Service", name) in names
    assert ("HorizontalPodAutoscaler", "web") in names
    if overlay == "prod":
        assert ("NetworkPolicy", "default-deny-ingress") in names


def test_every_base_manifest_validates_and_locks_down_its_containers():
    for path in sorted((ROOT / "deploy" / "k8s" / "base").glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        _validate(path)
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc["kind"] != "Deployment":
                continue
            for container in doc["spec"]["template"]["spec"]["containers"]:
                context = container["securityContext"]
                assert context["runAsNonRoot"] and not context["allowPrivilegeEscalation"], (path.name, container["name"])
                assert container["resources"]["limits"], (path.name, container["name"])
                if doc["metadata"]["name"].endswith("-api") or doc["metadata"]["name"] == "gateway":
                    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
                    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def _server_argv(factory: str, port: int, threads: int) -> list[str]:
    """The launcher's command line for an HTTP server, as a container runs it (`granian …`, bound to 0.0.0.0)."""
    command = http_server_command(factory, "0.0.0.0", port, workers=Suite.api_workers, threads=threads)
    assert command[1:3] == ["-m", "granian"]
    return ["granian", *command[3:]]


def test_compose_and_k8s_serve_every_api_the_gateway_and_the_web_app_as_the_launcher_does(tmp_path):
    commands = Suite(tmp_path)._commands()
    assert commands["web"][-1] == "web.app:create_app" and str(WEB_PORT) in commands["web"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    expected = {service: _server_argv(f"services.{service}.entrypoints.api:create_app", port, Suite.api_threads)
                for service, port in SERVICE_PORTS.items()}
    expected["gateway"] = _server_argv("gateway.app:create_app", GATEWAY_PORT, Suite.gateway_threads)
    expected["web"] = _server_argv("web.app:create_app", WEB_PORT, Suite.api_threads)
    for name, argv in expected.items():
        command = compose[name]["command"]
        if name in ("gateway", "web"):
            assert command == argv
        else:  # sh -c "python -m shared.migrations <service> && exec <argv>"
            assert command[-1] == f"python -m shared.migrations {name} && exec {' '.join(argv)}"
        manifest = yaml.safe_load_all((ROOT / "deploy" / "k8s" / "base" / f"{name}.yaml").read_text())
        containers = [c for doc in manifest if doc and doc.get("kind") == "Deployment"
                      for c in doc["spec"]["template"]["spec"]["containers"]]
        assert argv in [c.get("command") for c in containers], f"{name}: no container runs {argv}"


# ---- secrets: none has a published default (shared/installation.py) ------------------------------------

SECRET_ENVS = {secret.env for secret in SECRETS}
K8S_KEY_TO_ENV = {secret.k8s_key: secret.env for secret in SECRETS}
# Which secrets each service's processes need (the API, and the worker as relay and consumers).
NEEDS = {
    ("identity", "api"): {"IDENTITY_KEY_ENCRYPTION_KEY", "SUITE_ADMIN_PASSWORD", "NOTIFIER_CLIENT_SECRET"},
    ("identity", "worker"): {"IDENTITY_KEY_ENCRYPTION_KEY"},
    ("notifier", "api"): {"NOTIFIER_SECRET_KEY"},
    ("notifier", "worker"): {"NOTIFIER_SECRET_KEY", "NOTIFIER_CLIENT_SECRET"},
    ("billing", "api"): {"BILLING_SANDBOX_SECRET"},
    ("billing", "worker"): {"BILLING_SANDBOX_SECRET"},
    ("marketplace", "api"): {"MARKETPLACE_PAYMENT_SECRET"},
    ("marketplace", "worker"): {"MARKETPLACE_PAYMENT_SECRET"},
}
REQUIRED = re.compile(r"\$\{([A-Z_]+):\?[^}]*\}")


def _compose_secrets(environment: dict[str, str]) -> set[str]:
    """The secrets a Compose service is given: each must come from a required variable (`${NAME:?…}`)."""
    given = set()
    for name, value in environment.items():
        given |= {found for found in REQUIRED.findall(str(value)) if found in SECRET_ENVS}
        if name in SECRET_ENVS:
            assert f"${{{name}:?" in str(value), f"{name} must be required, not {value!r}"
    return given - {"POSTGRES_PASSWORD", "RABBITMQ_PASSWORD"}


def test_compose_requires_every_secret_and_publishes_none():
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in SECRETS:  # `${NAME:-default}` or `${NAME-default}` would publish a default
        assert not re.search(r"\$\{" + secret.env + r"[:]?-", text), f"{secret.env} has a default in docker-compose.yml"
    assert "change-me" not in text and "Suite-Admin-2026" not in text
    compose = yaml.safe_load(text)["services"]
    assert "${POSTGRES_PASSWORD:?" in compose["postgres"]["environment"]["POSTGRES_PASSWORD"]
    assert "${RABBITMQ_PASSWORD:?" in compose["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_PASS"]
    for service in SERVICE_PORTS:
        for name, kind in ((service, "api"), (f"{service}-worker", "worker")):
            environment = compose[name]["environment"]
            assert "${POSTGRES_PASSWORD:?" in environment[f"{service.upper()}_DATABASE_URL"]
            assert "${RABBITMQ_PASSWORD:?" in environment["AMQP_URL"]
            assert _compose_secrets(environment) == NEEDS.get((service, kind), set()), name
    assert _compose_secrets(compose["gateway"]["environment"]) == set()


def _k8s_documents() -> list[dict]:
    return [doc for path in sorted((ROOT / "deploy" / "k8s").rglob("*.yaml")) if path.name != "kustomization.yaml"
            for doc in yaml.safe_load_all(path.read_text()) if doc]


def _k8s_secrets(container: dict) -> set[str]:
    refs = {e["valueFrom"]["secretKeyRef"]["key"] for e in container.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}
    return {K8S_KEY_TO_ENV[key] for key in refs if key in K8S_KEY_TO_ENV} - {"POSTGRES_PASSWORD", "RABBITMQ_PASSWORD"}


def test_kubernetes_reads_every_secret_from_a_secret_that_is_not_published():
    documents = _k8s_documents()
    assert [d for d in documents if d["kind"] == "Secret"] == [], "a Secret with values in the manifests publishes them"
    generated = yaml.safe_load(k8s_secret(fresh_values()))
    keys = set(generated["stringData"])
    for doc in documents:
        if doc["kind"] not in ("Deployment", "StatefulSet"):
            continue
        name = doc["metadata"]["name"]
        spec = doc["spec"]["template"]["spec"]
        for container in spec.get("initContainers", []) + spec["containers"]:
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == "suite-secrets" and ref["key"] in keys, (name, ref)
                    assert not ref.get("optional"), (name, ref)
                assert env["name"] not in SECRET_ENVS or ref, f"{name}: {env['name']} has a literal value"
        service, _, component = name.rpartition("-")
        if service in SERVICE_PORTS:
            kind = "api" if component == "api" else "worker"
            for container in spec["containers"]:
                assert _k8s_secrets(container) == NEEDS.get((service, kind), set()), name


def test_the_generated_kubernetes_secret_validates_and_is_fresh(tmp_path):
    first, second = fresh_values(), fresh_values()
    assert all(first[name] != second[name] for name in first)
    path = tmp_path / "secret.yaml"
    path.write_text(k8s_secret(first))
    _validate(path)
    env = dict(line.split("=", 1) for line in compose_env(first).splitlines())
    assert set(env) == SECRET_ENVS and env == first


def test_make_up_generates_the_admin_password_once_per_installation(tmp_path, monkeypatch):
    monkeypatch.delenv("SUITE_ADMIN_PASSWORD", raising=False)
    first = Suite(tmp_path / "one").env["SUITE_ADMIN_PASSWORD"]
    assert Suite(tmp_path / "one").env["SUITE_ADMIN_PASSWORD"] == first  # kept under var/
    assert Suite(tmp_path / "two").env["SUITE_ADMIN_PASSWORD"] != first  # another installation, another password
    assert (tmp_path / "one" / "secrets" / "admin-password").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("SUITE_ADMIN_PASSWORD", "Chosen-Passw0rd-2026!")
    assert Suite(tmp_path / "three").env["SUITE_ADMIN_PASSWORD"] == "Chosen-Passw0rd-2026!"


def test_every_service_secret_without_its_variable_is_generated_per_installation(tmp_path, monkeypatch):
    """What `make up` relies on: a process with the variable unset reads (or makes) the installation's own value."""
    from services.billing.adapters.payment_providers import sandbox_secret
    from services.identity.config import key_encryption_key
    from services.marketplace.config import Settings as MarketplaceSettings

    values = []
    for var in (tmp_path / "one", tmp_path / "two"):
        monkeypatch.setenv("SUITE_VAR_DIR", str(var))
        for name in SECRET_ENVS:
            monkeypatch.delenv(name, raising=False)
        values.append((MarketplaceSettings.from_env().payment_secret, sandbox_secret(), key_encryption_key()))
        assert values[-1] == (MarketplaceSettings.from_env().payment_secret, sandbox_secret(), key_encryption_key())
    assert all(a != b for a, b in zip(*values, strict=True))
    assert "sandbox-provider-shared-secret" not in values[0]


def test_the_public_url_names_where_people_reach_the_gateway_in_compose_k8s_and_the_launcher(tmp_path, monkeypatch):
    """SUITE_PUBLIC_URL starts every link in mails and answers: compose's is the gateway's published port,
    each k8s overlay's is its Ingress host, the launcher's is the gateway's port with the offset."""
    from urllib.parse import urlsplit

    from shared import links

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    published = {int(p.split(":")[0]) for p in compose["gateway"]["ports"] if p.split(":")[1] == str(GATEWAY_PORT)}
    for name, service in compose.items():
        if name in SERVICE_PORTS or name.endswith("-worker") or name == "gateway":
            default = service["environment"]["SUITE_PUBLIC_URL"]  # ${SUITE_PUBLIC_URL:-http://localhost:8080}
            assert default.startswith("${SUITE_PUBLIC_URL:-"), name
            assert urlsplit(default.removeprefix("${SUITE_PUBLIC_URL:-").rstrip("}")).port in published, name
    for overlay in ("dev", "prod"):
        documents = _render(overlay)
        [config] = [d for d in documents if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "suite-config"]
        [ingress] = [d for d in documents if d["kind"] == "Ingress"]
        assert urlsplit(config["data"]["SUITE_PUBLIC_URL"]).hostname == ingress["spec"]["rules"][0]["host"], overlay
    monkeypatch.delenv("SUITE_PUBLIC_URL", raising=False)
    suite = Suite(tmp_path / "var", 14000)
    monkeypatch.setenv("SUITE_PORT_OFFSET", "14000")
    assert suite.env["SUITE_PUBLIC_URL"] == links.public_url() == f"http://localhost:{GATEWAY_PORT + 14000}"
