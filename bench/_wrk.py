"""HTTP load from `wrk`, a C load generator, so that an HTTP bench's client costs about what `pgbench` costs.

The Python `closed_loop` of `_harness.py` spends ~0.3–0.5 ms of CPU per request on the same two cores
as the servers it measures; wrk spends a few microseconds. `wrk_run(...)` drives `connections`
keep-alive connections back to back (closed loop, like pgbench's clients) and returns a `WrkResult`
with the same `rate`, `count`, `percentile()` and `check()` as `_harness.Outcome`.

Every request can carry a fresh `Idempotency-Key` (`unique_key=True`: run id, wrk thread, counter), and
every answer's status is counted, so a bench still checks that it measured only successes.

wrk comes from Debian's package (`apt-get install wrk`); `available()` tells whether it is here, and a
bench without it says so and falls back to `_harness.closed_loop`.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

WRK = "wrk"

_SCRIPT = r"""
local run_id = %(run_id)s
local unique_key = %(unique_key)s
local base_headers = %(headers)s
local threads = {}
local counter = 0
statuses = {}

local function json_string(s)
  return '"' .. string.gsub(s, '[%%c"\\]', function(c) return string.format("\\u%%04x", string.byte(c)) end) .. '"'
end

wrk.method = %(method)s
wrk.path = %(path)s
wrk.body = %(body)s

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function request()
  local headers = {}
  for name, value in pairs(base_headers) do headers[name] = value end
  if unique_key then
    counter = counter + 1
    headers["Idempotency-Key"] = string.format("%%s-%%d-%%d", run_id, tid, counter)
  end
  return wrk.format(nil, nil, headers, nil)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 400 and not first_failure then
    first_failure = tostring(status) .. " " .. string.sub(body or "", 1, 300)
  end
end

function done(summary, latency, requests)
  local all = {}
  local failure = ""
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses")
    for status, n in pairs(seen) do all[status] = (all[status] or 0) + n end
    local f = thread:get("first_failure")
    if f and failure == "" then failure = f end
  end
  local parts = {}
  for status, n in pairs(all) do table.insert(parts, string.format('"%%d": %%d', status, n)) end
  io.write(string.format(
    'WRK_JSON {"requests": %%d, "duration_us": %%d, "connect_errors": %%d, "read_errors": %%d, ' ..
    '"write_errors": %%d, "timeouts": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "mean_us": %%f, ' ..
    '"statuses": {%%s}, "failure": %%s}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    table.concat(parts, ", "), json_string(failure)))
end
"""


def _lua(value: object) -> str:
    """A Lua literal for a string, bool, None or dict of strings."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        value = value.decode()
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string literal is a valid Lua string literal


@dataclass
class WrkResult:
    seconds: float
    count: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: int = 0
    failure: str = ""

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        return {50: self.p50_ms, 90: self.p90_ms, 99: self.p99_ms}[int(p)]

    def check(self, *expected: int) -> None:
        unexpected = {s: n for s, n in self.statuses.items() if s not in expected}
        if unexpected or self.socket_errors:
            raise AssertionError(f"unexpected answers {unexpected}, socket errors {self.socket_errors}; first: {self.failure}")


def available() -> bool:
    return shutil.which(WRK) is not None


def wrk_run(base: str, path: str, *, method: str = "GET", body: bytes | str | None = None,
            headers: dict[str, str] | None = None, connections: int = 8, seconds: float = 5.0, threads: int = 2,
            unique_key: bool = False, timeout_s: float = 10.0) -> WrkResult:
    """Closed-loop load from wrk: `connections` keep-alive connections over `threads` threads for `seconds`."""
    binary = shutil.which(WRK)
    if binary is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    script = _SCRIPT % {
        "run_id": _lua(uuid.uuid4().hex[:12]), "unique_key": _lua(unique_key), "headers": _lua(headers or {}),
        "method": _lua(method), "path": _lua(path), "body": _lua(body),
    }
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        lua = Path(folder) / "load.lua"
        lua.write_text(script)
        result = subprocess.run(
            [binary, "-t", str(min(threads, connections)), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
             "--timeout", f"{int(timeout_s)}s", "-s", str(lua), base.rstrip("/") + path],
            capture_output=True, text=True, timeout=seconds + timeout_s + 30,
        )
    line = next((x for x in result.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout[-800:]} {result.stderr[-800:]}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    return WrkResult(
        seconds=data["duration_us"] / 1e6, count=data["requests"], p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000, p99_ms=data["p99_us"] / 1000,
        statuses={int(k): v for k, v in data["statuses"].items()},
        socket_errors=data["connect_errors"] + data["read_errors"] + data["write_errors"] + data["timeouts"],
        failure=data["failure"],
    )
