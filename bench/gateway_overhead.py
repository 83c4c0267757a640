"""Gateway overhead: req/s and p50 latency of a cheap endpoint called directly and through the gateway.

    .venv/bin/python -m bench.gateway_overhead [--seconds 5] [--clients 8] [--redis] [--worker-class gevent|gthread]

Starts under the launcher's HTTP server (`--server`: granian by default, or gunicorn: the target gthread × 4,
the gateway gevent), 2 workers each,
a target built with the platform's own app factory (`shared.web.create_app`: token check, request id,
metrics, tracing) that plays identity — it serves the JWKS and a cheap `GET /identity/v1/ping` — and
the gateway in front of it. Then, for anonymous and for authenticated requests: p50 latency of one
keep-alive client, and throughput of several keep-alive clients, direct and through the gateway, with
wrk (bench/_wrk.py; the Python clients when wrk is missing), and the CPU per request of the gateway's
and of the target's processes. Prints the figures and the ratios (targets: gateway ≥ 0.6 × direct
req/s, ≤ 2 ms added p50). The gateway's rate limit is raised out of the way but still runs on every
request; `--redis` puts it in Redis (an embedded redis-server) to measure the shared limiter.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

from bench import _wrk
from bench._harness import _children, _cpu_of
from shared.launcher import HTTP_SERVERS, Suite, http_server_command
from shared.settings import repo_root
from shared.testkit import EmbeddedBroker, TokenFactory, free_port, wait_until

KEY_FILE_ENV = "BENCH_SIGNING_KEY_FILE"
PING = "/identity/v1/ping"


def target_app():  # type: ignore[no-untyped-def] # server factory: `bench.gateway_overhead:target_app`
    """A stand-in identity built like every service: shared.web's app with a cheap endpoint and the JWKS."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from flask import jsonify
    from flask.views import MethodView
    from flask_smorest import Blueprint
    from sqlalchemy import MetaData

    from shared.db import make_engine, make_session_factory, platform_tables
    from shared.settings import CommonSettings
    from shared.web import ServiceContext, create_app

    keys = TokenFactory()
    keys.private_key = load_pem_private_key(Path(os.environ[KEY_FILE_ENV]).read_bytes(), password=None)  # type: ignore[assignment]
    keys.kid = "bench"
    blp = Blueprint("ping", __name__, url_prefix="/identity/v1")

    @blp.route("/ping")
    class Ping(MethodView):
        def get(self):  # type: ignore[no-untyped-def]
            """A cheap answer"""
            return {"pong": True}

    @blp.route("/.well-known/jwks.json")
    class Jwks(MethodView):
        def get(self):  # type: ignore[no-untyped-def]
            """The signing keys"""
            return jsonify(keys.jwks())

    unused = "postgresql+psycopg://bench@127.0.0.1:1/unused"  # the ping and the keys never touch a database
    settings = CommonSettings(service="identity", database_url=unused, broker_url="memory://", identity_url="http://unused")
    context = ServiceContext("identity", make_session_factory(make_engine(unused)), platform_tables(MetaData()))
    return create_app(settings, context, [blp], verifier=keys.verifier())


def _serve(factory: str, port: int, threads: int, env: dict[str, str], log: Path, server: str,
           worker_class: str = "gthread", workers: int = 2) -> subprocess.Popen:
    command = http_server_command(factory, "127.0.0.1", port, server=server, workers=workers, threads=threads, worker_class=worker_class)
    return subprocess.Popen(command, env=env, cwd=repo_root(), stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _ready(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _timed_requests(base: str, count: int, headers: dict[str, str], latencies: list[float]) -> None:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    for _ in range(count):
        started = time.perf_counter()
        connection.request("GET", PING, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            raise RuntimeError(f"{base}{PING} answered {response.status}")
    connection.close()


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a server's master and its workers (and theirs), from /proc (Linux)."""
    processes, seen = [pid], set()
    while processes:
        process = processes.pop()
        if process not in seen:
            seen.add(process)
            processes.extend(_children(process))
    return sum(_cpu_of(process) for process in seen)


def _load(base: str, seconds: float, clients: int, headers: dict[str, str], requests_total: int) -> tuple[float, int, float]:
    """(req/s, requests, p50 ms) of `clients` keep-alive clients: wrk when installed, else Python threads."""
    if _wrk.available():
        result = _wrk.wrk_run(base, PING, headers=headers, connections=clients, seconds=seconds, threads=min(2, clients))
        result.check(200)
        return result.rate, result.count, result.p50_ms
    per_client = requests_total // clients
    latencies: list[float] = []
    threads = [threading.Thread(target=_timed_requests, args=(base, per_client, headers, latencies)) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = per_client * clients
    return done / (time.perf_counter() - started), done, statistics.median(latencies) * 1000


def measure(base: str, args: argparse.Namespace, headers: dict[str, str], gateway_pid: int, target_pid: int) -> dict[str, float]:
    """p50 of one sequential keep-alive client, then req/s of `clients` concurrent ones with the CPU
    per request of the gateway's and the target's processes (robust on a busy machine, unlike req/s)."""
    _timed_requests(base, 200, headers, [])
    _, _, p50 = _load(base, args.seconds, 1, headers, min(2000, args.requests))
    cpu_before = process_cpu_seconds(gateway_pid), process_cpu_seconds(target_pid)
    rps, done, _ = _load(base, args.seconds, args.clients, headers, args.requests)
    gateway_cpu, target_cpu = process_cpu_seconds(gateway_pid) - cpu_before[0], process_cpu_seconds(target_pid) - cpu_before[1]
    return {
        "rps": rps,
        "p50_ms": p50,
        "gateway_cpu_ms_per_request": gateway_cpu / done * 1000,
        "target_cpu_ms_per_request": target_cpu / done * 1000,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per wrk run")
    parser.add_argument("--requests", type=int, default=6000, help="requests per throughput run without wrk")
    parser.add_argument("--server", default=os.environ.get("SUITE_HTTP_SERVER", "granian"), choices=HTTP_SERVERS,
                        help="the HTTP server of both (the launcher's default: granian)")
    parser.add_argument("--worker-class", default="gevent", choices=("gthread", "gevent"), help="the gateway's gunicorn worker")
    parser.add_argument("--clients", type=int, default=8, help="concurrent keep-alive clients")
    parser.add_argument("--gateway-workers", type=int, default=Suite.api_workers, help="the gateway's worker processes")
    parser.add_argument("--gateway-threads", type=int, default=Suite.gateway_threads, help="the gateway's threads a worker")
    parser.add_argument("--rounds", type=int, default=3, help="alternated direct/gateway rounds (the medians are the figures)")
    parser.add_argument("--redis", action="store_true", help="share the rate limiter through Redis")
    args = parser.parse_args(argv or [])

    work = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    tokens = TokenFactory()
    tokens.kid = "bench"
    from cryptography.hazmat.primitives import serialization

    key_file = work / "signing-key.pem"
    key_file.write_bytes(
        tokens.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    target_port, gateway_port = free_port(), free_port()
    target, gateway = f"http://127.0.0.1:{target_port}", f"http://127.0.0.1:{gateway_port}"
    env = {
        **os.environ,
        "PYTHONPATH": str(repo_root()),
        KEY_FILE_ENV: str(key_file),
        "IDENTITY_URL": target,
        "GATEWAY_RATE_PER_SECOND": "1000000",
        "GATEWAY_BURST": "1000000",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    broker = EmbeddedBroker(free_port(), work / "redis").start() if args.redis else None
    if broker:
        env["REDIS_URL"] = broker.url
    processes = [
        _serve("bench.gateway_overhead:target_app", target_port, 4, env, work / "target.log", args.server),
        _serve("gateway.app:create_app", gateway_port, args.gateway_threads, env, work / "gateway.log", args.server, args.worker_class,
               args.gateway_workers),
    ]
    try:
        wait_until(lambda: _ready(f"{target}/healthz") and _ready(f"{gateway}/healthz"), 60, 0.2, "target and gateway")
        results: dict[str, dict[str, object]] = {}
        for label, headers in (("anonymous", {}), ("bearer token", {"Authorization": f"Bearer {tokens.token(ttl=3600)}"})):
            rounds = []
            for number in range(1, args.rounds + 1):  # alternated, so that a burst of other load hits both sides
                direct = measure(target, args, headers, processes[1].pid, processes[0].pid)
                through = measure(gateway, args, headers, processes[1].pid, processes[0].pid)
                rounds.append({"direct": direct, "gateway": through, "ratio": through["rps"] / direct["rps"],
                               "added_p50_ms": through["p50_ms"] - direct["p50_ms"]})
                print(
                    f"{label:>13} {number}: direct {direct['rps']:7.0f} req/s p50 {direct['p50_ms']:.2f} ms | "
                    f"gateway {through['rps']:7.0f} req/s p50 {through['p50_ms']:.2f} ms | ratio {rounds[-1]['ratio']:.2f}  "
                    f"CPU ms/request: gateway {through['gateway_cpu_ms_per_request']:.3f}, "
                    f"target {direct['target_cpu_ms_per_request']:.3f} direct / {through['target_cpu_ms_per_request']:.3f} via gateway"
                    f"  ({os.getloadavg()[0]:.1f} load)",
                    flush=True,
                )
            ratio = statistics.median(r["ratio"] for r in rounds)
            added = statistics.median(r["added_p50_ms"] for r in rounds)
            gateway_cpu = statistics.median(r["gateway"]["gateway_cpu_ms_per_request"] for r in rounds)
            results[label] = {"rounds": rounds, "median_ratio": ratio, "median_added_p50_ms": added}
            print(f"{label:>13}: median of {len(rounds)} rounds: ratio {ratio:.2f} (goal ≥ 0.6: {'ok' if ratio >= 0.6 else 'MISSED'}), "
                  f"added p50 {added:.2f} ms (goal ≤ 2: {'ok' if added <= 2 else 'MISSED'}), gateway CPU {gateway_cpu:.3f} ms/request",
                  flush=True)
        limiter = "Redis" if broker else "per process"
        print(json.dumps({"machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
                          "limiter": limiter, "server": args.server,
                          "worker_class": args.worker_class if args.server == "gunicorn" else None, "clients": args.clients,
                          "load_generator": "wrk" if _wrk.available() else "python", "results": results}))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(15)
        if broker:
            broker.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
