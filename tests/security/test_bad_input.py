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
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from flask import Flask

from shared.testkit import TokenFactory
from tests.e2e.steps import new_tax_id
from tests.security import apps
from tests.security.fuzzing import COMPANY, RESELLER, TENANT, AuthorizingApp, Callers, config, run

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "4"))


@pytest.fixture(scope="module")
def accepted_callers() -> dict[tuple[str, str], list[str]]:
    """Which callers each operation accepts, probed once and shared by the services' runs and the gateway's."""
    return {}


def report_lines(report: Any) -> str:
    lines = [f"{report.calls} calls in {report.seconds:.1f} s, by phase {report.phase_calls}; {len(report.distinct())} distinct findings"]
    lines += [f"[{f.check}] {f.operation} -> {f.status}: {f.title}\n  request: {f.request[:300]}\n  response: {f.response[:600]}"
              for f in report.distinct()]
    lines += [f"engine error: {error}" for error in report.errors]
    return "\n".join(lines)


@pytest.mark.parametrize("service", apps.SERVICES)
def test_schemathesis_finds_no_server_error_and_no_broken_response_in_a_services_openapi(
    service: str, seeded_apps: dict[str, Flask], app_tokens: TokenFactory, database_kind: str, figures: Any,
    accepted_callers: dict[tuple[str, str], list[str]],
) -> None:
    wrapped = AuthorizingApp(seeded_apps[service], Callers(app_tokens), accepted=accepted_callers)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", wrapped, config=config(MAX_EXAMPLES))
    report = run(schema)
    figures(f"bad input: schemathesis over {service}'s OpenAPI ({database_kind})", report_lines(report))
    assert report.errors == []
    assert report.distinct() == []


def test_schemathesis_finds_no_server_error_and_no_broken_response_through_the_gateway(
    served: Any, seeded_apps: dict[str, Flask], app_tokens: TokenFactory, figures: Any,
    accepted_callers: dict[tuple[str, str], list[str]],
) -> None:
    wrapped = AuthorizingApp(served.gateway, Callers(app_tokens), routers=seeded_apps, accepted=accepted_callers)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", wrapped, config=config(max(2, MAX_EXAMPLES // 2), coverage=False))
    assert len(schema.raw_schema["paths"]) >= sum(len(app.test_client().get("/openapi.json").json["paths"]) for app in seeded_apps.values())
    report = run(schema)
    figures("bad input: schemathesis over the gateway's merged OpenAPI", report_lines(report))
    assert report.errors == []
    assert report.distinct() == []


# ---- explicit cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    """One write operation: who calls it, a fresh valid body, the text field and the number field to abuse."""

    service: str
    method: str
    path: str
    role: str
    body: Callable[[], dict[str, Any]]
    text_field: str
    number_field: str | None = None
    number_limit: int | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


WRITES = [
    Write("identity", "POST", "/identity/v1/organisations", "platform_admin",
          lambda: {"kind": "company", "name": unique("好公司"), "parent_id": None}, "name"),
    Write("entitlements", "POST", "/entitlements/v1/orders", "sales",
          lambda: {"tenant_id": TENANT, "lines": [{"product_code": "P-SEAT", "quantity": 1, "valid_from": "2026-01-01",
                                                    "valid_to": "2026-12-31", "serial_number": unique("SN")}]},
          "lines.0.serial_number", "lines.0.quantity", 1_000_000_000),
    Write("entitlements", "POST", "/entitlements/v1/products", "platform_admin",
          lambda: {"code": unique("P"), "name": "产品", "kind": "seat", "service_group": "invoice_issuing"}, "name"),
    Write("licensing", "POST", "/licensing/v1/enterprises", "tenant_admin", lambda: {"tax_id": new_tax_id(), "name": "好企业"}, "name"),
    Write("billing", "POST", "/billing/v1/offline-topups", "sales",
          lambda: {"company_id": COMPANY, "payer": "付款人", "currency": "CNY", "amount_minor": 100, "reference": unique("REF")},
          "payer", "amount_minor", 10**13),
    Write("marketplace", "POST", "/marketplace/v1/customers", "reseller_admin",
          lambda: {"name": "王五", "company": "甲公司", "email": "wang@customer.test", "phone": "13900000000"}, "company"),
    Write("marketplace", "POST", "/marketplace/v1/solutions", "platform_admin",
          lambda: {"name": "方案", "category": "other", "summary": "概要",
                   "skus": [{"code": unique("SKU"), "name": "基础版", "price_minor": 100, "currency": "CNY", "region": "中国大陆"}]},
          "summary", "skus.0.price_minor", 2**31 - 1),
    Write("notifier", "PUT", f"/notifier/v1/preferences/{TENANT}", "tenant_admin",
          lambda: {"language": "zh-CN", "emails": ["a@b.test"]}, "emails.0"),
]
WRITE_IDS = [w.id for w in WRITES]
NUMBER_WRITES = [w for w in WRITES if w.number_field]


def caller(tokens: TokenFactory, role: str) -> dict[str, str]:
    if role == "tenant_admin":
        return tokens.headers(sub="tenant-admin", org_id=TENANT, org_kind="tenant", roles=("tenant_admin",))
    if role == "reseller_admin":
        return tokens.headers(sub="reseller-admin", org_id=RESELLER, org_kind="reseller", roles=("reseller_admin",),
                              email="admin@reseller.test")
    return tokens.headers(sub=f"{role}-1", org_id="platform", org_kind="platform", roles=(role,))


def with_value(body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    target: Any = body
    *parents, last = dotted.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return body


def send(app: Flask, write: Write, tokens: TokenFactory, **kwargs: Any) -> Any:
    return app.test_client().open(write.path, method=write.method, headers=caller(tokens, write.role), **kwargs)


def with_literal(write: Write, literal: str) -> str:
    """The body as JSON text with the text field set to a raw JSON literal (to send what json.dumps would not)."""
    return json.dumps(with_value(write.body(), write.text_field, "PLACEHOLDER")).replace('"PLACEHOLDER"', literal)


def assert_clean_answer(response: Any) -> None:
    """A 4xx problem+json with a code, or an accepted write; never a 5xx."""
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json", response.mimetype
        assert response.get_json()["code"]
    else:
        assert response.status_code in (200, 201), response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_the_valid_body_of_each_abused_write_is_accepted(write: Write, seeded_apps: dict[str, Flask], app_tokens: TokenFactory) -> None:
    """The baseline: without it, a 4xx below could come from a body that was never valid."""
    response = send(seeded_apps[write.service], write, app_tokens, json=write.body())
    assert response.status_code in (200, 201), response.get_data(as_text=True)[:500]


UNICODE_EDGES = {
    "bidi override": json.dumps("\u202egnp.exe"),
    "4-byte characters": json.dumps("𠀀😀𝄞"),
    "combining marks": json.dumps("e\u0301\u0301\u0301"),
    "zero-width": json.dumps("a\u200b\u200db"),
    "10k characters": json.dumps("字" * 10_000),
}


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_unicode_edge_cases_are_answered_cleanly(write: Write, seeded_apps: dict[str, Flask], app_tokens: TokenFactory,
                                                 figures: Any) -> None:
    seen = {}
    for name, literal in UNICODE_EDGES.items():
        response = send(seeded_apps[write.service], write, app_tokens, data=with_literal(write, literal), content_type="application/json")
        seen[name] = response.status_code
        assert_clean_answer(response)
    figures(f"bad input: unicode edge cases, {write.id} ({write.text_field})", ", ".join(f"{k} {v}" for k, v in seen.items()))
    assert seen["10k characters"] == 422


# A lone surrogate cannot be encoded for PostgreSQL, and PostgreSQL refuses NUL in text:
# shared/request_guard.py refuses both (422 unstorable_text) before any view or database sees them.
UNSTORABLE = {"lone surrogate": '"\\ud800"', "NUL": '"a\\u0000b"'}


@pytest.mark.parametrize("case", UNSTORABLE)
@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_text_no_database_can_store_is_never_a_server_error(write: Write, case: str, seeded_apps: dict[str, Flask],
                                                             app_tokens: TokenFactory) -> None:
    response = send(seeded_apps[write.service], write, app_tokens, data=with_literal(write, UNSTORABLE[case]),
                    content_type="application/json")
    assert_clean_answer(response)


SEARCHES = [("marketplace", "/marketplace/v1/solutions", "platform_admin"), ("billing", "/billing/v1/devices", "support")]


@pytest.mark.parametrize("search", SEARCHES, ids=[s[1] for s in SEARCHES])
def test_a_nul_in_a_search_query_is_never_a_server_error(search: tuple[str, str, str], seeded_apps: dict[str, Flask],
                                                          app_tokens: TokenFactory) -> None:
    service, path, role = search
    response = seeded_apps[service].test_client().get(f"{path}?q=a%00b", headers=caller(app_tokens, role))
    assert_clean_answer(response)


NUMBERS = {"10**30": 10**30, "-1": -1, "1.5": 1.5, "1e308": 1e308, "true": True, "string": "12", "2**63": 2**63}


@pytest.mark.parametrize("write", NUMBER_WRITES, ids=[w.id for w in NUMBER_WRITES])
def test_huge_and_odd_numbers_are_422_and_the_largest_allowed_is_stored(write: Write, seeded_apps: dict[str, Flask],
                                                                        app_tokens: TokenFactory) -> None:
    app = seeded_apps[write.service]
    for name, value in {**NUMBERS, "limit + 1": write.number_limit + 1}.items():
        response = send(app, write, app_tokens, json=with_value(write.body(), write.number_field, value))
        assert response.status_code == 422, (name, response.get_data(as_text=True)[:300])
        assert response.mimetype == "application/problem+json"
    stored = send(app, write, app_tokens, json=with_value(write.body(), write.number_field, write.number_limit))
    assert stored.status_code in (200, 201), stored.get_data(as_text=True)[:300]


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_broken_json_and_oversize_bodies_are_4xx(write: Write, seeded_apps: dict[str, Flask], app_tokens: TokenFactory) -> None:
    cases = {
        "broken JSON": b'{"name": ',
        "JSON array": b"[1, 2]",
        "JSON scalar": b'"x"',
        "not UTF-8": b'{"name": "\xff\xfe"}',
        "3 MiB": b'{"name": "' + b"x" * (3 * 1024 * 1024) + b'"}',
    }
    for name, data in cases.items():
        response = send(seeded_apps[write.service], write, app_tokens, data=data, content_type="application/json")
        assert 400 <= response.status_code < 500, (name, response.status_code, response.get_data(as_text=True)[:300])
        assert response.mimetype == "application/problem+json", (name, response.mimetype)


JSON_NO_PARSER_SHOULD_WALK = {
    "nested 100,000 deep": ("[" * 100_000 + "]" * 100_000, "json_too_deep"),
    "nested 40 deep in a field": (None, "json_too_deep"),
    "an integer of 5,000 digits": (None, "number_too_long"),
}


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_deep_nesting_and_endless_integers_are_400_before_any_parser_recurses(write: Write, seeded_apps: dict[str, Flask],
                                                                             app_tokens: TokenFactory) -> None:
    """They were a 500 on every service (RecursionError; webargs let the digits' ValueError through)."""
    for name, (text, code) in JSON_NO_PARSER_SHOULD_WALK.items():
        if text is None:
            text = with_literal(write, "[" * 40 + "]" * 40 if code == "json_too_deep" else "1" * 5000)
        response = send(seeded_apps[write.service], write, app_tokens, data=text, content_type="application/json")
        assert response.status_code == 400 and response.mimetype == "application/problem+json", (name, response.get_data()[:300])
        assert response.get_json()["code"] == code, name


@pytest.mark.parametrize("path", ["/entitlements/v1/usage", "/entitlements/v1/usage/batch"])
def test_the_usage_routes_answer_deep_or_endless_json_with_a_400_problem(path: str, seeded_apps: dict[str, Flask],
                                                                         app_tokens: TokenFactory) -> None:
    """The usage routes' fast path (PostgreSQL) parsed before Flask: deep nesting was an empty 500 there."""
    headers = caller(app_tokens, "tenant_admin")
    for text in ("[" * 100_000 + "]" * 100_000, '{"units": ' + "9" * 5000 + "}"):
        response = seeded_apps["entitlements"].test_client().post(path, data=text, content_type="application/json", headers=headers)
        assert response.status_code == 400 and response.mimetype == "application/problem+json", response.get_data()[:300]


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_a_json_body_sent_as_another_content_type_is_refused(write: Write, seeded_apps: dict[str, Flask], app_tokens: TokenFactory) -> None:
    """flask-smorest reads a body of another content type as no body at all: an operation whose fields
    are all optional would act on an empty body (the notifier's PUT preferences reset them), so
    shared/request_guard.py answers 415 where JSON is expected."""
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        response = send(seeded_apps[write.service], write, app_tokens, data=json.dumps(write.body()).encode(), content_type=content_type)
        assert 400 <= response.status_code < 500, (content_type, response.status_code, response.get_data(as_text=True)[:300])
        assert response.mimetype == "application/problem+json"


def test_the_gateway_refuses_bodies_over_its_limit_before_any_service_sees_them(served: Any, app_tokens: TokenFactory) -> None:
    client = served.gateway.test_client()
    headers = caller(app_tokens, "sales")
    response = client.post("/billing/v1/offline-topups", data=b"x" * (33 * 1024 * 1024), content_type="application/json", headers=headers)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    over_the_service_limit = b'{"payer": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = client.post("/billing/v1/offline-topups", data=over_the_service_limit, content_type="application/json", headers=headers)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"


def patch_operations(app: Flask) -> list[str]:
    paths = app.test_client().get("/openapi.json").get_json()["paths"]
    return [path for path, operations in paths.items() if "patch" in operations]


def test_a_patch_that_names_no_field_is_422_nothing_to_change_on_every_patch_operation(
    seeded_apps: dict[str, Flask], app_tokens: TokenFactory,
) -> None:
    """`{}` on marketplace's cart items and dealers built `UPDATE … SET  WHERE` (500). The rule is the
    platform's (shared/request_guard.py), so it holds for every PATCH of every service, for any caller."""
    tried = []
    for service in apps.SERVICES:
        app = seeded_apps[service]
        for path in patch_operations(app):
            concrete = path.replace("{", "").replace("}", "")  # each parameter's name stands in for its value
            for role in ("platform_admin", "tenant_admin", "reseller_admin"):
                for body in ({"data": "{}", "content_type": "application/json"}, {}):
                    response = app.test_client().patch(concrete, headers=caller(app_tokens, role), **body)
                    assert response.status_code == 422 and response.mimetype == "application/problem+json", (
                        path, role, response.get_data()[:300])
                    assert response.get_json()["code"] == "nothing_to_change", (path, role)
            tried.append(path)
    assert len(tried) >= 10, tried  # identity's three, marketplace's four, billing's three
