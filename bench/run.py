"""`make bench`: runs every benchmark in bench/ (each prints its figures and ratios).

A benchmark is a module `bench/<name>.py` with a `main()` function. Pass names to run only some:
`python -m bench.run outbox_relay gateway_overhead`.
"""
from __future__ import annotations

import importlib
import os
import platform
import socket
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).parent


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or "?"
    return f"{platform.node()} — {cpu}, {cores} cores, Python {platform.python_version()}"


LOCAL_SERVERS = {
    "TEST_POSTGRES_URL": ("127.0.0.1", 5432, "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "AMQP_URL": ("127.0.0.1", 5672, "amqp://guest:guest@127.0.0.1:5672/"),
}


def use_local_servers() -> None:
    """The goals are measured on PostgreSQL and RabbitMQ: use this machine's when the URLs are unset and they answer."""
    for name, (host, port, url) in LOCAL_SERVERS.items():
        if os.environ.get(name):
            continue
        try:
            socket.create_connection((host, port), timeout=1).close()
        except OSError:
            print(f"# {name} unset and nothing on {host}:{port}: that part runs embedded (PostgreSQL / broker)")
            continue
        os.environ[name] = url
        print(f"# {name} unset: using {url}")


def main(names: list[str]) -> int:
    use_local_servers()
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # the figures, not every migration step of every bench
    modules = names or sorted(p.stem for p in HERE.glob("*.py") if p.stem not in ("__init__", "run") and not p.stem.startswith("_"))
    print(f"# bench {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}", flush=True)
    failed = 0
    for name in modules:
        print(f"\n## {name}", flush=True)
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
            failed += 1
            traceback.print_exc()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
