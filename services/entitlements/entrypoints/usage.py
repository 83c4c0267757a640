"""Traffic consumption, its ledger and daily totals: `/entitlements/v1/usage`.

The two POSTs try the PostgreSQL fast path first: when the caller, the body and the key are the plain,
valid kind (`single_arguments`, `batch_arguments`: a few dict lookups instead of marshmallow, with the
same limits as the schemas), one function call does the request (service_layer/usage.py
`UsageFastPath`). It is tried twice: as a WSGI-level fast route (shared/web.py `add_fast_route`, no
Flask request machinery), and, for what that one leaves to Flask, first thing in the view
(`fast_first`). Anything else — a body the schema would refuse, a caller the checks would
refuse, a fast path turned off — goes through the decorated view below exactly as before, so every
refusal keeps its current order (idempotency first, then the caller, then the body) and its answer.
The schemas still describe the bodies in the OpenAPI document.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Response, request, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from services.entitlements.adapters import exports
from services.entitlements.entrypoints.callers import caller_tenant, client_tax_id
from services.entitlements.entrypoints.schemas import (
    BATCH_LIMIT,
    MAX_USES,
    DailyArgs,
    DailyPage,
    LedgerPage,
    UsageBatchIn,
    UsageBatchOut,
    UsageExportArgs,
    UsageListArgs,
    UsageOut,
    UsageRequestIn,
)
from services.entitlements.service_layer import usage as handlers
from services.entitlements.service_layer.dashboard import daily_view
from shared.auth import Principal, current_principal, optional_principal, require
from shared.errors import Problem, validation
from shared.idempotency import HEADER, hash_of, idempotent, key_of_request, replay_response, scope_of
from shared.web import (
    FastAnswer,
    FastRequest,
    FastRoute,
    ServiceContext,
    add_fast_route,
    current_context,
    db,
    page_of,
    uow,
)

blp = Blueprint("usage", __name__, url_prefix="/entitlements/v1/usage", description="Traffic consumption")

CONSUMERS = ("tenant_admin", "api_client")


def _filters(args: dict[str, Any]) -> dict[str, Any]:
    return {"product_code": args["product_code"], "tax_id": args["tax_id"], "day_from": args["from_"], "day_to": args["to"]}


def _drawing_party(body: dict[str, Any]) -> tuple[str, str | None]:
    """The tenant whose pool is drawn and the tax ID drawn for.

    A platform service (the notifier's SMS) names the tenant it acts for in `tenant_id` and may leave
    out `tax_id` (tenant-level traffic); everyone else draws from their own tenant for a tax ID."""
    if current_principal().is_service:
        if not body["tenant_id"]:
            raise validation({"tenant_id": ["a service names the tenant it draws for"]})
        return body["tenant_id"], body["tax_id"]
    problems = {}
    if body["tenant_id"] is not None:
        problems["tenant_id"] = ["only platform services name the tenant"]
    if body["tax_id"] is None:
        problems["tax_id"] = ["Missing data for required field."]
    if problems:
        raise validation(problems)
    return caller_tenant(), body["tax_id"]


# ---- the fast path ---------------------------------------------------------------------------------

ITEM_FIELDS = frozenset(("product_code", "tax_id", "units", "reference"))
REQUEST_FIELDS = ITEM_FIELDS | {"tenant_id"}
SINGLE_PATH, BATCH_PATH = "/entitlements/v1/usage", "/entitlements/v1/usage/batch"


def _plain_usage(item: Any, fields: frozenset[str]) -> bool:
    """What UsageIn / UsageRequestIn accept, for the common case (the schema decides anything unusual)."""
    if type(item) is not dict or not fields.issuperset(item):
        return False
    code, tax_id, units, reference = item.get("product_code"), item.get("tax_id"), item.get("units"), item.get("reference")
    return (type(code) is str and 1 <= len(code) <= 64
            and (tax_id is None or (type(tax_id) is str and 1 <= len(tax_id) <= 40))
            and type(units) is int and 1 <= units <= MAX_USES
            and (reference is None or (type(reference) is str and len(reference) <= 120)))


def _tenant_consumer(principal: Principal) -> tuple[str, str | None] | None:
    """(tenant, the API client's tax ID or None) when `require(*CONSUMERS, clients=True)`, `caller_tenant` and
    `client_tax_id` would let a tenant admin or API client through; None sends the request to the full path."""
    if principal.is_service or principal.must_change_password or not principal.has_any(*CONSUMERS):
        return None
    if not principal.org_id or (principal.org_kind not in (None, "tenant") and principal.kind != "client"):
        return None
    if principal.kind != "client" and "api_client" not in principal.roles:
        return principal.org_id, None
    return (principal.org_id, principal.tax_id.strip().upper()) if principal.tax_id else None


def single_arguments(principal: Principal, body: Any) -> dict[str, Any] | None:
    """`UsageFastPath.consume`'s arguments when the full path would accept this caller and body, else None."""
    if not _plain_usage(body, REQUEST_FIELDS):
        return None
    tax_id = body.get("tax_id")
    if principal.is_service:
        tenant_id, client_tax = body.get("tenant_id"), None
        if not tenant_id or type(tenant_id) is not str or len(tenant_id) > 64:
            return None
    else:
        consumer = _tenant_consumer(principal)
        if consumer is None or tax_id is None or body.get("tenant_id") is not None:
            return None
        tenant_id, client_tax = consumer
    tax_id = tax_id.strip().upper() if tax_id is not None else None
    if client_tax is not None and tax_id != client_tax:
        return None
    return {"tenant_id": tenant_id, "product_code": body["product_code"], "tax_id": tax_id, "uses": body["units"],
            "reference": body.get("reference")}


def batch_arguments(principal: Principal, body: Any) -> dict[str, Any] | None:
    """`UsageFastPath.consume_batch`'s arguments when the full path would accept this caller and body, else None."""
    consumer = _tenant_consumer(principal)
    if consumer is None or type(body) is not dict or body.keys() != {"items"}:
        return None
    items = body["items"]
    if type(items) is not list or not 1 <= len(items) <= BATCH_LIMIT:
        return None
    for item in items:
        if not _plain_usage(item, ITEM_FIELDS) or item.get("tax_id") is None:
            return None
    return {"tenant_id": consumer[0], "client_tax_id": consumer[1], "codes": [item["product_code"] for item in items],
            "tax_ids": [item["tax_id"].strip().upper() for item in items], "uses": [item["units"] for item in items],
            "references": [item.get("reference") for item in items]}


def _fast_path(context: ServiceContext) -> handlers.UsageFastPath | None:
    return handlers.fast_path(context.extras, context.session_factory.kw["bind"])


# First tier: a WSGI-level route (shared/web.py `add_fast_route`), without Flask's request machinery.

def _wsgi_route(arguments_of: Callable[[Principal, Any], dict[str, Any] | None], call_name: str) -> FastRoute:
    def route(fast: FastRequest) -> Callable[[], FastAnswer] | None:
        context: ServiceContext = fast.app.extensions["suite_context"]
        path = _fast_path(context)
        key = fast.header(HEADER)
        if path is None or (key is not None and not 1 <= len(key) <= 200):
            return None
        arguments = arguments_of(fast.principal, fast.json)
        if arguments is None:
            return None
        principal = fast.principal
        idempotency = (scope_of(principal.org_id, principal.sub, fast.method, fast.path), key, hash_of(fast.body)) if key else None

        def work() -> FastAnswer:
            try:
                status, body, replayed = getattr(path, call_name)(idempotency, now=context.clock.now(), **arguments)
            except handlers.FastPathUnavailable:
                raise Problem(503, "try_again", "the change could not be saved; retry") from None
            return FastAnswer(status, body, headers=REPLAYED if replayed else ())

        return work

    return route


REPLAYED = (("Idempotent-Replayed", "true"),)


@blp.record_once
def _register_fast_routes(state: Any) -> None:
    add_fast_route(state.app, "POST", SINGLE_PATH, _wsgi_route(single_arguments, "consume"))
    add_fast_route(state.app, "POST", BATCH_PATH, _wsgi_route(batch_arguments, "consume_batch"))


# Second tier: inside the Flask view, for what the first tier leaves (e.g. a body the guard had to read).

def fast_first(arguments_of: Callable[[Principal, Any], dict[str, Any] | None], call_name: str) -> Callable:
    """Outermost decorator of a view: the fast path when it takes the request, else the decorated view."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)  # keeps flask-smorest's `_apidoc`: the OpenAPI document is unchanged
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            path, principal = _fast_path(current_context()), optional_principal()
            arguments = arguments_of(principal, request.get_json(silent=True)) if path and principal else None
            if arguments is None:
                return view(*args, **kwargs)
            try:
                status, body, replayed = getattr(path, call_name)(key_of_request(), now=current_context().clock.now(), **arguments)
            except handlers.FastPathUnavailable:
                return view(*args, **kwargs)
            return replay_response(status, body) if replayed else Response(body, status=status, mimetype="application/json")

        return wrapper

    return decorator


# ---- the views -------------------------------------------------------------------------------------

@blp.route("")
class Usage(MethodView):
    @fast_first(single_arguments, "consume")
    @idempotent
    @require(*CONSUMERS, clients=True, services=True)
    @blp.arguments(UsageRequestIn)
    @blp.response(201, UsageOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Consume traffic from the tenant's pool (Idempotency-Key honoured)

        Tenant admins and API clients draw from their own tenant for one of its tax IDs; a platform
        service (role `service`) names the tenant in `tenant_id` and may omit `tax_id` for
        tenant-level traffic such as SMS.
        """
        tenant_id, tax_id = _drawing_party(body)
        return handlers.consume(uow(), tenant_id=tenant_id, product_code=body["product_code"], tax_id=tax_id,
                                uses=body["units"], reference=body["reference"], client_tax_id=client_tax_id(current_principal()))

    @require("tenant_admin")
    @blp.arguments(UsageListArgs, location="query")
    @blp.response(200, LedgerPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The usage ledger, newest first"""
        page = page_of(db(), handlers.ledger_query(caller_tenant(), **_filters(args)), args["page"], args["page_size"])
        return {**page, "items": [dict(row._mapping) for row in page["items"]]}


@blp.route("/batch")
class UsageBatch(MethodView):
    @fast_first(batch_arguments, "consume_batch")
    @idempotent
    @require(*CONSUMERS, clients=True)
    @blp.arguments(UsageBatchIn)
    @blp.response(200, UsageBatchOut)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Consume up to 1,000 items at once, each accepted or refused on its own"""
        return handlers.consume_batch(uow(), tenant_id=caller_tenant(), items=body["items"],
                                      client_tax_id=client_tax_id(current_principal()))


@blp.route("/daily")
class DailyTotals(MethodView):
    @require("tenant_admin")
    @blp.arguments(DailyArgs, location="query")
    @blp.response(200, DailyPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Daily consumption totals per product and tax ID (`?by=product`: per product, all tax IDs together)"""
        query_of = handlers.daily_per_product_query if args["by"] == "product" else handlers.daily_query
        page = page_of(db(), query_of(caller_tenant(), **_filters(args)), args["page"], args["page_size"])
        return {**page, "items": [daily_view(row._mapping) for row in page["items"]]}


EXPORT_HEADER = ["used_at", "product_code", "tax_id", "units", "reference", "order_line_id", "id"]
XLSX_ROW_LIMIT = 100_000


@blp.route("/export")
class UsageExport(MethodView):
    @require("tenant_admin")
    @blp.arguments(UsageExportArgs, location="query")
    @blp.response(200, content_type="text/csv")
    def get(self, args: dict[str, Any]) -> Response:
        """导出: the ledger with the list's filters as CSV (streamed, any size) or XLSX (up to 100,000 rows)"""
        query = handlers.ledger_query(caller_tenant(), **_filters(args))
        if args["format"] == "xlsx":
            count = db().execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
            if count > XLSX_ROW_LIMIT:
                raise Problem(422, "export_too_large", f"{count} rows; XLSX holds up to {XLSX_ROW_LIMIT}: narrow the filters or choose CSV",
                              limit=XLSX_ROW_LIMIT, rows=count)
            content = exports.xlsx_bytes(EXPORT_HEADER, (_export_row(row) for row in db().execute(query)))
            return _attachment(Response(content, mimetype=exports.XLSX_MIMETYPE), "xlsx")
        session = current_context().session_factory()

        def chunks() -> Any:
            try:
                rows = session.execute(query.execution_options(yield_per=2000))
                yield from exports.csv_chunks(EXPORT_HEADER, (_export_row(row) for row in rows))
            finally:
                session.close()

        return _attachment(Response(stream_with_context(chunks()), mimetype="text/csv"), "csv")


def _export_row(row: Any) -> list[Any]:
    return [row.used_at.isoformat(), row.product_code, row.tax_id or "", row.units, row.reference or "", row.order_line_id, row.id]


def _attachment(response: Response, fmt: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="usage.{fmt}"'
    return response
