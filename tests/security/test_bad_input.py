"""Bad input: no server error and no response that breaks its own schema, whatever the client sends.

- schemathesis (examples, coverage, fuzzing and stateful phases; links inferred from responses)
  over each service's own OpenAPI, in-process on PostgreSQL when available, every operation called
  by each kind of principal it accepts (`tests/security/fuzzing.py`); checks `not_a_server_error`
  and `response_schema_conformance`. Bounded: `FUZZ_MAX_EXAMPLES` (default 4) per operation and
  phase; `FUZZ_SEED` picks the run (fixed by default, so CI is reproducible; set it to explore).
- the same over the gateway's merged OpenAPI, the gateway in-process in front of the services on
  loopback ports (fuzzing, examples and stateful phases: the coverage phase's boundary values are
  the services' own run's business).
- explicit cases on one write operation of each service: oversize bodies, wrong content types,
  broken JSON, huge and odd numbers, unicode edge cases (lone surrogates, NUL, bidi overrides,
  4-byte characters, long strings): each a 4xx problem+json or an accepted 2xx, never a 5xx.
"""
from __future__ import annotations

import json
import os
from typing import Any

import pytest
import schemathesis
from flask import Flask

from shared.testkit import TokenFactory
from tests.security import apps
from tests.security.fuzzing import COMPANY, RESELLER, TENANT, AuthorizingApp, Callers, config, run

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "4"))


def report_lines(report: Any) -> str:
    lines = [f"{report.calls} calls in {report.seconds:.1f} s, by phase {report.phase_calls}; {len(report.distinct())} distinct findings"]
    lines += [f"[{f.check}] {f.operation} -> {f.status}: {f.title}\n  request: {f.request[:300]}\n  response: {f.response[:600]}"
              for f in report.distinct()]
    lines += [f"engine error: {error}" for error in report.errors]
    return "\n".join(lines)


@pytest.mark.parametrize("service", apps.SERVICES)
def test_schemathesis_finds_no_server_error_and_no_broken_response_in_a_services_openapi(
    service: str, seeded_apps: dict[str, Flask], app_tokens: TokenFactory, database_kind: str, figures: Any
) -> None:
    wrapped = AuthorizingApp(seeded_apps[service], Callers(app_tokens))
    schema = schemathesis.openapi.from_wsgi("/openapi.json", wrapped, config=config(MAX_EXAMPLES))
    report = run(schema)
    figures(f"bad input: schemathesis over {service}'s OpenAPI ({database_kind})", report_lines(report))
    assert report.errors == []
    assert report.distinct() == []


def test_schemathesis_finds_no_server_error_and_no_broken_response_through_the_gateway(
    served: Any, seeded_apps: dict[str, Flask], app_tokens: TokenFactory, figures: Any
) -> None:
    wrapped = AuthorizingApp(served.gateway, Callers(app_tokens), routers=seeded_apps)
    settings = config(max(2, MAX_EXAMPLES // 2))
    settings.phases.coverage.enabled = False
    schema = schemathesis.openapi.from_wsgi("/openapi.json", wrapped, config=settings)
    assert len(schema.raw_schema["paths"]) >= sum(len(app.test_client().get("/openapi.json").json["paths"]) for app in seeded_apps.values())
    report = run(schema)
    figures("bad input: schemathesis over the gateway's merged OpenAPI", report_lines(report))
    assert report.errors == []
    assert report.distinct() == []


# ---- explicit cases --------------------------------------------------------------------------------


def staff(tokens: TokenFactory, role: str) -> dict[str, str]:
    return tokens.headers(sub=f"{role}-1", org_id="platform", org_kind="platform", roles=(role,))


# One write operation per service: (service, method, path, caller, a valid body, the text field and the number field to abuse).
WRITES: list[tuple[str, str, str, str, dict[str, Any], str, str | None]] = [
    ("identity", "POST", "/identity/v1/organisations", "platform_admin",
     {"kind": "company", "name": "好公司", "parent_id": None}, "name", None),
    ("entitlements", "POST", "/entitlements/v1/orders", "sales",
     {"tenant_id": TENANT, "lines": [{"product_code": "P-SEAT", "quantity": 1, "valid_from": "2026-01-01", "valid_to": "2026-12-31"}]},
     "tenant_id", "lines.0.quantity"),
    ("licensing", "POST", "/licensing/v1/enterprises", "tenant_admin", {"tax_id": "91330100716105852F", "name": "好企业"}, "name", None),
    ("billing", "POST", "/billing/v1/offline-topups", "sales",
     {"company_id": COMPANY, "payer": "付款人", "currency": "CNY", "amount_minor": 100, "reference": "REF-1"}, "payer", "amount_minor"),
    ("marketplace", "POST", "/marketplace/v1/customers", "reseller_admin",
     {"name": "王五", "company": "甲公司", "email": "wang@customer.test", "phone": "13900000000"}, "company", None),
    ("notifier", "PUT", f"/notifier/v1/preferences/{TENANT}", "tenant_admin", {"language": "zh-CN", "emails": ["a@b.test"]}, "language", None),
]


def caller(tokens: TokenFactory, role: str) -> dict[str, str]:
    if role == "tenant_admin":
        return tokens.headers(sub="tenant-admin", org_id=TENANT, org_kind="tenant", roles=("tenant_admin",))
    if role == "reseller_admin":
        return tokens.headers(sub="reseller-admin", org_id=RESELLER, org_kind="reseller", roles=("reseller_admin",),
                              email="admin@reseller.test")
    return staff(tokens, role)


def with_value(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    target: Any = copy
    *parents, last = dotted.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[last] = value
    return copy


def assert_clean_answer(response: Any, accepted: tuple[int, ...] = (200, 201)) -> None:
    """A 4xx problem+json with a code, or an accepted write; never a 5xx."""
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json", response.mimetype
        assert response.get_json()["code"]
    else:
        assert response.status_code in accepted, response.get_data(as_text=True)[:500]


UNICODE_EDGES = {
    "lone surrogate": '"\\ud800"',
    "NUL": '"a\\u0000b"',
    "bidi override": json.dumps("\u202egnp.exe"),
    "4-byte characters": json.dumps("𠀀😀𝄞"),
    "combining marks": json.dumps("e\u0301\u0301\u0301"),
    "zero-width": json.dumps("a\u200b\u200db"),
    "10k characters": json.dumps("字" * 10_000),
}


@pytest.mark.parametrize("write", WRITES, ids=[w[0] for w in WRITES])
def test_unicode_edge_cases_are_answered_cleanly(write: tuple, seeded_apps: dict[str, Flask], app_tokens: TokenFactory,
                                                  figures: Any) -> None:
    service, method, path, role, body, text_field, _ = write
    client = seeded_apps[service].test_client()
    seen = {}
    for name, literal in UNICODE_EDGES.items():
        raw = json.dumps(with_value(body, text_field, "PLACEHOLDER")).replace('"PLACEHOLDER"', literal)
        response = client.open(path, method=method, data=raw, content_type="application/json", headers=caller(app_tokens, role))
        seen[name] = response.status_code
        assert_clean_answer(response)
    figures(f"bad input: unicode edge cases, {method} {path} ({text_field})", ", ".join(f"{k} {v}" for k, v in seen.items()))
    assert seen["lone surrogate"] >= 400 and seen["NUL"] >= 400 and seen["10k characters"] == 422


NUMBERS = {"10**30": 10**30, "-1": -1, "1.5": 1.5, "1e308": 1e308, "true": True, "string": "12", "2**63": 2**63}


@pytest.mark.parametrize("write", [w for w in WRITES if w[6]], ids=[w[0] for w in WRITES if w[6]])
def test_huge_and_odd_numbers_are_422(write: tuple, seeded_apps: dict[str, Flask], app_tokens: TokenFactory) -> None:
    service, method, path, role, body, _, number_field = write
    client = seeded_apps[service].test_client()
    for name, value in NUMBERS.items():
        response = client.open(path, method=method, json=with_value(body, number_field, value), headers=caller(app_tokens, role))
        assert response.status_code == 422, (name, response.get_data(as_text=True)[:300])
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("write", WRITES, ids=[w[0] for w in WRITES])
def test_broken_json_wrong_content_types_and_oversize_bodies_are_4xx(write: tuple, seeded_apps: dict[str, Flask],
                                                                      app_tokens: TokenFactory) -> None:
    service, method, path, role, body, _, _ = write
    client = seeded_apps[service].test_client()
    headers = caller(app_tokens, role)
    cases = {
        "broken JSON": (b'{"name": ', "application/json"),
        "JSON array": (b"[1, 2]", "application/json"),
        "JSON scalar": (b'"x"', "application/json"),
        "text/plain": (json.dumps(body).encode(), "text/plain"),
        "form": (b"name=x", "application/x-www-form-urlencoded"),
        "no content type": (json.dumps(body).encode(), None),
        "not UTF-8": (b'{"name": "\xff\xfe"}', "application/json"),
        "3 MiB": (b'{"name": "' + b"x" * (3 * 1024 * 1024) + b'"}', "application/json"),
    }
    for name, (data, content_type) in cases.items():
        response = client.open(path, method=method, data=data, content_type=content_type, headers=headers)
        assert 400 <= response.status_code < 500, (name, response.status_code, response.get_data(as_text=True)[:300])
        assert response.mimetype == "application/problem+json", (name, response.mimetype)
    assert client.open(path, method=method, json=body, headers=headers).status_code < 500


def test_the_gateway_refuses_bodies_over_its_limit_before_any_service_sees_them(served: Any, app_tokens: TokenFactory) -> None:
    client = served.gateway.test_client()
    headers = caller(app_tokens, "sales")
    response = client.post("/billing/v1/offline-topups", data=b"x" * (33 * 1024 * 1024), content_type="application/json", headers=headers)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    small_but_over_the_service_limit = b'{"payer": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = client.post("/billing/v1/offline-topups", data=small_but_over_the_service_limit, content_type="application/json",
                           headers=headers)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
