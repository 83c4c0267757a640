"""What every billing view needs: who is calling (as a `Caller`), role groups, the payment provider,
and file responses for exports."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response, stream_with_context
from sqlalchemy.orm import Session

from services.billing.adapters import spreadsheets, xlsx_stream
from services.billing.adapters.payment_providers import PaymentProvider
from services.billing.service_layer.companies import Caller
from shared.auth import current_principal
from shared.errors import Problem
from shared.web import current_context

STAFF = ("platform_admin", "sales", "finance", "support")
CUSTOMER = "customer"
EVERYONE = (*STAFF, CUSTOMER)
CATALOG_KEEPERS = ("platform_admin", "support")
DEVICE_KEEPERS = ("platform_admin", "support", "sales")


def caller() -> Caller:
    """Platform staff act across companies; a customer acts within its company (org_id) and below it."""
    principal = current_principal()
    if principal.is_platform_staff:
        return Caller(principal.sub, None, staff=True)
    if principal.org_kind != "company" or not principal.org_id:
        raise Problem(403, "forbidden", "only users of a customer company or platform staff use billing")
    return Caller(principal.sub, principal.org_id, staff=False)


def customer_company(who: Caller) -> str:
    """Operations a customer does for its own company (renewal, payment, top-up)."""
    if who.company_id is None:
        raise Problem(403, "forbidden", "this operation is for users of a customer company")
    return who.company_id


def company_of_request(who: Caller, company_id: str | None) -> str:
    """The company a request is about: given explicitly, or the customer's own."""
    chosen = company_id or who.company_id
    if chosen is None:
        raise Problem(422, "validation_failed", "company_id is required", errors={"company_id": ["required for staff"]})
    return chosen


def payment_provider() -> PaymentProvider:
    return current_context().extras["payment_provider"]


def session_for_export() -> Session:
    """Exports stream after the view returns, so they read through a session of their own."""
    return current_context().session_factory()


def export_response(fmt: str, name: str, header: list[str], rows: Iterable[Iterable[Any]], session: Session) -> Response:
    """CSV or XLSX, streamed chunk by chunk while the rows are read; the export's session closes at the end."""
    produce = spreadsheets.csv_chunks if fmt == "csv" else xlsx_stream.xlsx_chunks

    def chunks() -> Iterator[bytes]:
        try:
            yield from produce(header, rows)
        finally:
            session.close()

    mimetype = "text/csv" if fmt == "csv" else spreadsheets.XLSX_MIMETYPE
    response = Response(stream_with_context(chunks()), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
