"""A test driver of the licensing service: its API through the Flask test client, and entitlements'
answers delivered to its handlers the way the worker does (inbox claim, handler, commit)."""
from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from services.licensing.service_layer.answers import HANDLERS
from shared import inbox
from shared.envelope import Event
from shared.tax_ids import organisation_code_check_character, uscc_check_character
from shared.uow import UnitOfWork

CONSUMER = "licensing.seats"


def tax_id(n: int) -> str:
    """A valid unified social credit code, distinct for each n."""
    organisation = f"MA{n:06d}"
    first_17 = f"91320500{organisation}{organisation_code_check_character(organisation)}"
    return first_17 + uscc_check_character(first_17)


def entitlements_event(type_: str, data: dict[str, Any], event_id: str | None = None) -> Event:
    return Event(type=type_, source="/services/entitlements", subject="s", data=data, id=event_id or str(uuid.uuid4()))


class LicensingDriver:
    def __init__(self, app: Flask, client: FlaskClient, headers: dict[str, str], tenant_id: str) -> None:
        self.app = app
        self.client = client
        self.headers = headers
        self.tenant_id = tenant_id

    # ---- the API ------------------------------------------------------------------------------

    def put_erp(self, license_type: str = "formal", idc: bool = False) -> Any:
        return self.client.put("/licensing/v1/erp-instance", json={"license_type": license_type, "idc": idc}, headers=self.headers)

    def put_serials(self, issuing: str | None = None, receiving: str | None = None) -> Any:
        body = {"invoice_issuing": issuing, "invoice_receiving": receiving}
        return self.client.put("/licensing/v1/serial-numbers", json=body, headers=self.headers)

    def import_(self, *tax_ids: str) -> Any:
        body = {"enterprises": [{"tax_id": t, "name": f"企业 {t[-4:]}"} for t in tax_ids]}
        return self.client.post("/licensing/v1/enterprises/batch", json=body, headers=self.headers)

    def authorize(self, group: str, *tax_ids: str) -> Any:
        body = {"service_group": group, "tax_ids": list(tax_ids)}
        return self.client.post("/licensing/v1/authorizations", json=body, headers=self.headers)

    def cancel(self, group: str, *tax_ids: str) -> Any:
        body = {"service_group": group, "tax_ids": list(tax_ids)}
        return self.client.post("/licensing/v1/cancellations", json=body, headers=self.headers)

    def sync(self, group: str, action: str, *tax_ids: str) -> Any:
        body = {"service_group": group, "tax_ids": list(tax_ids), "action": action}
        return self.client.post("/licensing/v1/syncs", json=body, headers=self.headers)

    def results(self, response: Any) -> dict[str, dict[str, Any]]:
        assert response.status_code == 200, response.json
        return {r["tax_id"]: r for r in response.json["results"]}

    def codes(self, response: Any) -> dict[str, str]:
        return {tax: r["code"] for tax, r in self.results(response).items()}

    def listing(self, group: str, **query: Any) -> dict[str, Any]:
        response = self.client.get("/licensing/v1/enterprises", query_string={"service_group": group, **query}, headers=self.headers)
        assert response.status_code == 200, response.json
        return response.json

    def license(self, group: str, tax: str) -> dict[str, Any]:
        [item] = [i for i in self.listing(group, page_size=200)["items"] if i["tax_id"] == tax]
        return item

    def capabilities(self, tax: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(f"/licensing/v1/enterprises/{tax}/capabilities", headers=headers or self.headers)

    # ---- what went to the outbox, and entitlements' answers -----------------------------------

    def sent(self, type_: str) -> list[dict[str, Any]]:
        table = self.app.extensions["suite_context"].tables.outbox
        with self.app.extensions["suite_context"].session_factory() as session:
            payloads = session.execute(select(table.c.payload).where(table.c.type == type_).order_by(table.c.id)).scalars()
            return [json.loads(p)["data"] for p in payloads]

    def last_request_id(self, type_: str, tax: str) -> str:
        return [d for d in self.sent(type_) if d["tax_id"] == tax][-1]["request_id"]

    def deliver(self, event: Event) -> bool:
        """Handles `event` as the worker does; False when the inbox already had it."""
        context = self.app.extensions["suite_context"]
        with context.session_factory() as session:
            if not inbox.claim(session, context.tables.inbox, CONSUMER, event):
                return False
            HANDLERS[event.type](UnitOfWork(context.service, session, context.tables, context.clock), event)
            session.commit()
            return True

    def _answer(self, tax: str, group: str, request_id: str | None, asked: str) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "request_id": request_id or self.last_request_id(asked, tax),
            "tax_id": tax,
            "service_group": group,
        }

    def grant(self, tax: str, group: str, request_id: str | None = None, valid_to: str = "2026-12-31") -> Event:
        data = {
            **self._answer(tax, group, request_id, "licensing.license.authorized.v1"),
            "order_line_id": "line-1",
            "serial_number": None,
            "valid_from": "2026-01-01",
            "valid_to": valid_to,
        }
        event = entitlements_event("entitlements.seat.granted.v1", data)
        self.deliver(event)
        return event

    def refuse(self, tax: str, group: str, reason: str = "no_remaining_entitlement", request_id: str | None = None) -> Event:
        data = {**self._answer(tax, group, request_id, "licensing.license.authorized.v1"), "reason": reason}
        event = entitlements_event("entitlements.seat.refused.v1", data)
        self.deliver(event)
        return event

    def release(self, tax: str, group: str, request_id: str | None = None) -> Event:
        data = {**self._answer(tax, group, request_id, "licensing.license.cancelled.v1"), "order_line_id": "line-1"}
        event = entitlements_event("entitlements.seat.released.v1", data)
        self.deliver(event)
        return event

    def seats_delivered(self, group: str, quantity: int, valid_to: date | None = None, line_id: str | None = None) -> Event:
        line = {
            "id": line_id or str(uuid.uuid4()),
            "product_code": f"SEAT-{group}",
            "product_name": "seat",
            "kind": "seat",
            "service_group": group,
            "quantity": quantity,
            "valid_from": "2026-01-01",
            "valid_to": (valid_to or date(2026, 12, 31)).isoformat(),
            "serial_number": "SN-1",
        }
        traffic = {**line, "id": str(uuid.uuid4()), "kind": "traffic", "service_group": None, "quantity": 1000}
        data = {"tenant_id": self.tenant_id, "order_id": "o-1", "order_no": "NO-1", "source": "sales", "lines": [line, traffic]}
        event = entitlements_event("entitlements.order.delivered.v1", data)
        self.deliver(event)
        return event

    def audit(self, action: str) -> list[Any]:
        table = self.app.extensions["suite_context"].tables.audit_log
        with self.app.extensions["suite_context"].session_factory() as session:
            return list(session.execute(select(table).where(table.c.action == action).order_by(table.c.id)))
