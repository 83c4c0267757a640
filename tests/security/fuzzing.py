"""Schemathesis over a service's own OpenAPI, in-process (WSGI), with a token fit for each operation.

`Callers` holds tokens of every kind of principal the suite knows (platform admin, tenant admin,
billing customer, reseller admin, dealer user, enterprise API client), for organisations the apps'
read models know. `AuthorizingApp` wraps a service's app: each request without an Authorization
header gets, in turn, the tokens of every kind of caller that the operation does not refuse
(401/403), found once per operation by a probe. So every operation is fuzzed past its role check,
by each kind of principal allowed to call it (a tenant admin's scope and a platform admin's alike).

`run(schema)` runs schemathesis's engine (examples, coverage, fuzzing and stateful phases) with the
checks `not_a_server_error` and `response_schema_conformance`, and returns what it found.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from flask import Flask
from schemathesis.engine import events, from_schema
from werkzeug.exceptions import HTTPException
from werkzeug.test import Client

from shared.testkit import TokenFactory

TENANT, COMPANY, RESELLER, DEALER, TAX_ID = "tenant-t", "company-c", "reseller-r", "dealer-d", "91330100716105852F"


@dataclass
class Callers:
    tokens: TokenFactory

    def all(self) -> list[tuple[str, str]]:
        """(kind, token) in the order tried: the narrowest roles first, platform staff last."""
        t = self.tokens
        return [
            ("tenant_admin", t.token(sub="tenant-admin", org_id=TENANT, org_kind="tenant", roles=("tenant_admin",))),
            ("customer", t.token(sub="customer", org_id=COMPANY, org_kind="company", roles=("customer",))),
            ("reseller_admin", t.token(sub="reseller-admin", org_id=RESELLER, org_kind="reseller", roles=("reseller_admin",),
                                       email="admin@reseller.test")),
            ("dealer_user", t.token(sub="dealer-user", org_id=DEALER, org_kind="dealer", roles=("dealer_user",))),
            ("api_client", t.token(sub="client", org_id=TENANT, org_kind="tenant", roles=("api_client",), kind="client", tax_id=TAX_ID)),
            ("platform_admin", t.token(sub="platform-admin", org_id="platform", org_kind="platform", roles=("platform_admin",))),
            ("finance", t.token(sub="finance", org_id="platform", org_kind="platform", roles=("finance",))),
            ("sales", t.token(sub="sales", org_id="platform", org_kind="platform", roles=("sales",))),
            ("support", t.token(sub="support", org_id="platform", org_kind="platform", roles=("support",))),
        ]


class AuthorizingApp:
    """WSGI middleware: adds the token of a caller the matched operation accepts."""

    def __init__(self, app: Flask, callers: Callers, routers: dict[str, Flask] | None = None,
                 accepted: dict[tuple[str, str], list[str]] | None = None) -> None:
        """`routers`: for a gateway, the service apps whose routes name the operations, by service;
        `accepted`: what earlier probes found, (method, route) -> tokens, shared and filled in."""
        self.app = app
        self.routers = routers or {}
        self.callers = callers.all()
        self.accepted = accepted if accepted is not None else {}
        self.calls: dict[tuple[str, str], int] = {}

    def _rule(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        service = environ.get("PATH_INFO", "/").split("/")[1]
        router = self.routers.get(service, self.app)
        adapter = router.url_map.bind_to_environ(environ)
        try:
            rule, _ = adapter.match(return_rule=True)
        except HTTPException:
            return None
        return environ["REQUEST_METHOD"], rule.rule

    def _probe(self, method: str, path: str) -> list[str]:
        client = Client(self.app)
        accepted = [
            token for _kind, token in self.callers
            if client.open(path, method=method, headers={"Authorization": f"Bearer {token}"}, json={}).status_code not in (401, 403)
        ]
        return accepted or [token for kind, token in self.callers if kind == "platform_admin"]

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if "HTTP_AUTHORIZATION" not in environ:
            key = self._rule(environ)
            if key is not None:
                if key not in self.accepted:
                    self.accepted[key] = self._probe(key[0], environ.get("PATH_INFO", "/"))
                turn = self.calls[key] = self.calls.get(key, -1) + 1
                tokens = self.accepted[key]
                environ["HTTP_AUTHORIZATION"] = f"Bearer {tokens[turn % len(tokens)]}"
        return self.app(environ, start_response)


@dataclass
class Finding:
    check: str
    operation: str
    title: str
    status: int | None
    request: str
    response: str


@dataclass
class FuzzReport:
    operations: int = 0
    calls: int = 0
    seconds: float = 0.0
    phase_calls: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def distinct(self) -> list[Finding]:
        seen: dict[tuple[str, str, str], Finding] = {}
        for finding in self.findings:
            seen.setdefault((finding.check, finding.operation, finding.title), finding)
        return list(seen.values())


def config(max_examples: int, *, coverage: bool = True) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "generation": {"max-examples": max_examples, "no-shrink": True, "allow-x00": True},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": coverage},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True, "max-steps": 10},
        },
        "checks": {"enabled": False, "not_a_server_error": {"enabled": True}, "response_schema_conformance": {"enabled": True}},
        "suppress-health-check": ["all"],
        "seed": int(os.environ.get("FUZZ_SEED", "8725")),
    })


def run(schema: Any) -> FuzzReport:
    report = FuzzReport(operations=schema.statistic.operations.total if hasattr(schema, "statistic") else 0)
    started = time.monotonic()
    phase = "-"
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)  # the apps log every refused request; the report says what matters
    try:
        for event in from_schema(schema).execute():
            if isinstance(event, events.PhaseStarted):
                phase = event.phase.name.value
            elif isinstance(event, events.ScenarioFinished):
                _record(report, phase, event)
            elif isinstance(event, (events.NonFatalError, events.FatalError)):
                report.errors.append(str(getattr(event, "info", event))[:500])
    finally:
        logging.disable(previous)
    report.seconds = time.monotonic() - started
    return report


def _record(report: FuzzReport, phase: str, event: Any) -> None:
    recorder = event.recorder
    report.calls += len(recorder.interactions)
    report.phase_calls[phase] = report.phase_calls.get(phase, 0) + len(recorder.interactions)
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status.name != "FAILURE" or check.failure_info is None:
                continue
            interaction = recorder.interactions.get(case_id)
            response = getattr(interaction, "response", None)
            request = getattr(interaction, "request", None)
            case = recorder.cases[case_id].value if case_id in recorder.cases else None
            report.findings.append(Finding(
                check=check.name,
                operation=case.operation.label if case is not None else str(case_id),
                title=check.failure_info.failure.title,
                status=getattr(response, "status_code", None),
                request=f"{getattr(request, 'method', '')} {getattr(request, 'uri', '')} {str(getattr(request, 'body', ''))[:300]}",
                response=(getattr(response, "content", b"") or b"")[:400].decode(errors="replace")
                + " | " + str(check.failure_info.failure)[:600],
            ))
