"""Identity: password logins (argon2id at OWASP's parameters) and client-credential tokens, served as `make up` serves them.

    .venv/bin/python -m bench.identity_tokens [--seconds 8]

The identity API runs as `make up` runs it (shared/launcher.Suite: granian, 2 workers × 4 threads) on a
private database. Logins: the first platform admin logs in again and again from `2 × cores` clients
(`POST /identity/v1/auth/login`; each login verifies the argon2id hash, m = 19 MiB, t = 2, p = 1,
and issues an access and a refresh token). Tokens: an enterprise API client asks for tokens from 8
clients (`POST /identity/v1/oauth/token`, client_credentials; its secret is a 256-bit random value
checked by HMAC, so no slow hash), driven by wrk (bench/_wrk.py) when installed. Goals: ≥ 30 logins/s
per core, ≥ 1,000 tokens/s on 2 cores.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import uuid
from urllib.parse import urlencode

from sqlalchemy import insert

from bench import _wrk
from bench._harness import CpuMeter, closed_loop, database, load, ratio, started
from services.identity.adapters.crypto import SecretBox, SecretDigest
from services.identity.adapters.orm import api_clients
from services.identity.service_layer.api_clients import ACTIVE, _secret_context
from shared.clock import utcnow
from shared.db import make_engine
from shared.migrations import upgrade

ADMIN = ("bench-admin@suite.local", "Bench-Admin-2026!")
GOAL_LOGINS_PER_CORE, GOAL_TOKENS = 30.0, 1000.0


def seed_client(url: str, key_encryption_key: bytes) -> tuple[str, str]:
    """One active API client, stored as identity stores it (HMAC digest of the secret); returns (id, secret)."""
    client_id, secret = f"cli_{uuid.uuid4().hex[:16]}", secrets.token_urlsafe(32)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(api_clients).values(
            client_id=client_id, tenant_id=str(uuid.uuid4()), enterprise_id=str(uuid.uuid4()), tax_id="91330100716105852F",
            enterprise_name="压测企业", status=ACTIVE,
            secret_hash=SecretDigest(key_encryption_key).digest(secret, _secret_context(client_id)),
            encrypt_key_encrypted=SecretBox(key_encryption_key).seal(secrets.token_bytes(16), f"encrypt:{client_id}"),
            issued_at=utcnow(),
        ))
    engine.dispose()
    return client_id, secret


def _capacity(meter: CpuMeter, operations: int, cores: int) -> None:
    """What the machine could do alone: its cores divided by the CPU one operation costs (server and database)."""
    cost = meter.per_operation_ms(operations)
    print(f"{'':<24} {meter.summary(operations)} → {cores * 1000 / cost:,.0f}/s on {cores} idle cores", flush=True)


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args(argv or [])
    cores = os.cpu_count() or 1
    key = secrets.token_bytes(32)
    figures: dict[str, float] = {}
    with database() as (url, engine_name):
        upgrade("identity", url)
        client_id, secret = seed_client(url, key)
        env = {"IDENTITY_DATABASE_URL": url, "IDENTITY_KEY_ENCRYPTION_KEY": base64.urlsafe_b64encode(key).decode(),
               "SUITE_ADMIN_USERNAME": ADMIN[0], "SUITE_ADMIN_PASSWORD": ADMIN[1], "AMQP_URL": "", "EMBEDDED_BROKER_URL": "memory://"}
        print(f"identity on {engine_name}, {cores} cores, {args.seconds:.0f} s a run")
        with started(["identity-api"], env) as suite:
            base = suite.service_url("identity")
            login = ("POST", "/identity/v1/auth/login", json.dumps({"username": ADMIN[0], "password": ADMIN[1]}).encode(),
                     {"Content-Type": "application/json"})
            token = ("POST", "/identity/v1/oauth/token",
                     urlencode({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}).encode(),
                     {"Content-Type": "application/x-www-form-urlencoded"})
            closed_loop(base, 2, 1.0, lambda _c, _n: login)
            with CpuMeter(suite, (url,)) as login_cpu:
                logins = closed_loop(base, 2 * cores, args.seconds, lambda _c, _n: login)
            logins.check(200)
            per_core = logins.rate / cores
            print(f"{'password logins':<24} {logins.rate:7.1f} /s = {per_core:5.1f} /s per core  p50 {logins.percentile(50):6.1f} ms  "
                  f"p99 {logins.percentile(99):6.1f} ms  {ratio(per_core, GOAL_LOGINS_PER_CORE)} (≥ {GOAL_LOGINS_PER_CORE:.0f}/s per core)"
                  f"  ({load()})", flush=True)
            _capacity(login_cpu, logins.count, cores)
            closed_loop(base, 8, 1.0, lambda _c, _n: token)
            with CpuMeter(suite, (url,)) as token_cpu:
                if _wrk.available():  # a C client: the Python one costs about what a token costs
                    tokens = _wrk.wrk_run(base, token[1], method="POST", body=token[2], headers=token[3], connections=8,
                                          seconds=args.seconds)
                else:
                    tokens = closed_loop(base, 8, args.seconds, lambda _c, _n: token)
            tokens.check(200)
            print(f"{'client-credential tokens':<24} {tokens.rate:7.0f} /s  p50 {tokens.percentile(50):6.1f} ms  "
                  f"p99 {tokens.percentile(99):6.1f} ms  {ratio(tokens.rate, GOAL_TOKENS)} (≥ {GOAL_TOKENS:,.0f}/s on {cores} cores)"
                  f"  ({load()})", flush=True)
            _capacity(token_cpu, tokens.count, cores)
            figures.update({"logins_per_s_per_core": per_core, "tokens_per_s": tokens.rate})
    return figures


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
