"""Seed 001: 订单激活 and 权益分配 — orders, the activation mail's link, the operation key, 去分配, results."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.auth import api, login_required
from web.forms import ActivationForm, AllocationForm
from web.gateway_client import ApiError
from web.messages import apply_to_form, problem_message
from web.pages.paging import page_args

bp = Blueprint("orders", __name__, url_prefix="/portal")

ORDERS = "/entitlements/v1/orders"
SCAN_PAGE_SIZE = 200
SCAN_PAGES = 50


@bp.get("/orders")
@login_required
def index() -> Any:
    status = request.args.get("status") if request.args.get("status") in ("delivered", "activated") else None
    params: dict[str, Any] = {**page_args(), **({"status": status} if status else {})}
    orders = api().get(ORDERS, params=params)
    return render_template("pages/orders.html", orders=orders, status=status)


def find_order_id(order_no: str) -> str | None:
    """The id of the tenant's order with this number (the mail names the number, the API the id).

    Asks `?order_no=`; an API without that filter (422 naming it) is answered by reading the
    tenant's orders page by page.
    """
    try:
        found = api().get(ORDERS, params={"order_no": order_no, "page_size": 1})
        items = found.get("items") or []
        return items[0]["id"] if items and items[0].get("order_no") == order_no else None
    except ApiError as exc:
        if exc.status != 422 or "order_no" not in exc.errors:
            raise
    for page in range(1, SCAN_PAGES + 1):
        listed = api().get(ORDERS, params={"page": page, "page_size": SCAN_PAGE_SIZE})
        for item in listed.get("items") or []:
            if item.get("order_no") == order_no:
                return item["id"]
        if page * SCAN_PAGE_SIZE >= int(listed.get("total") or 0):
            break
    return None


@bp.get("/orders/by-number/<order_no>")
@login_required
def order_by_number(order_no: str) -> Any:
    """Where the activation mail's link lands (after sign-in): the order of that number."""
    order_id = find_order_id(order_no)
    if order_id is None:
        return render_template("error.html", status=404, message=_("No order %(order_no)s was delivered to your tenant.",
                                                                     order_no=order_no)), 404
    return redirect(url_for("orders.order", order_id=order_id))


def _order(order_id: str) -> dict[str, Any]:
    if len(order_id) > 64:
        abort(404)
    return api().get(f"{ORDERS}/{order_id}")


@bp.route("/orders/<order_id>", methods=["GET", "POST"])
@login_required
def order(order_id: str) -> Any:
    """One order: 订单激活 while it awaits activation, then its lines with 去分配."""
    current = _order(order_id)
    form = ActivationForm()
    error = None
    if current["status"] != "activated" and form.validate_on_submit():
        body = {"operation_key": form.operation_key.data.strip(), "erp": form.erp.data, "deployment": form.deployment.data}
        try:
            activated = api().post(f"{ORDERS}/activate", json=body)
        except ApiError as exc:
            error = apply_to_form(form, exc)
        else:
            flash(_("Order %(order_no)s is activated. Add the enterprises, then allocate the rights (去分配).",
                    order_no=activated["order_no"]), "success")
            return redirect(url_for("orders.order", order_id=activated["id"]))
    status = 422 if (form.errors or error) else 200
    return render_template("pages/order.html", order=current, form=form, error=error), status


PICK_PAGE_SIZE = 50


def _enterprises() -> dict[str, Any]:
    """A page of the tenant's enterprises to tick (`?page=`), or the one with `?tax_id=` (exact)."""
    params: dict[str, Any] = page_args(PICK_PAGE_SIZE)
    tax_id = (request.args.get("tax_id") or "").strip().upper()[:40]
    if tax_id:
        params["tax_id"] = tax_id
    return api().get("/entitlements/v1/enterprises", params=params)


def _holders(line_id: str, enterprise_ids: list[str]) -> set[str]:
    """Which of the listed enterprises already hold a seat of the line (shown 已分配, not tickable)."""
    if not enterprise_ids:
        return set()
    params = {"order_line_id": line_id, "enterprise_ids": ",".join(enterprise_ids), "page_size": len(enterprise_ids)}
    return {item["enterprise_id"] for item in api().get("/entitlements/v1/allocations", params=params).get("items") or []}


@bp.route("/orders/<order_id>/lines/<line_id>/allocate", methods=["GET", "POST"])
@login_required
def allocate(order_id: str, line_id: str) -> Any:
    """去分配 — 勾选税号分配使用组织: tick the enterprises, 下一步 allocates one seat to each."""
    current = _order(order_id)
    line = next((item for item in current.get("lines") or [] if item["id"] == line_id), None)
    if line is None:
        abort(404)
    enterprises = _enterprises()
    holders = _holders(line_id, [e["id"] for e in enterprises.get("items") or []])
    form = AllocationForm()
    error = None
    if form.validate_on_submit():
        try:
            result = api().post("/entitlements/v1/allocations", json={"order_line_id": line_id, "enterprise_ids": form.enterprise_ids.data})
        except ApiError as exc:
            error = apply_to_form(form, exc, {"enterprise_ids": "enterprise_ids"})
        else:
            flash(_("%(count)s enterprises got a seat of %(product)s; %(left)s left. The authorisation mail goes to your contact address.",
                    count=len(result.get("enterprises") or []), product=line.get("product_name") or line.get("product_code"),
                    left=result.get("unallocated")), "success")
            return redirect(url_for("orders.results", order_id=order_id, line=line_id))
    status = 422 if (form.errors or error) else 200
    return render_template("pages/allocate.html", order=current, line=line, enterprises=enterprises, holders=holders,
                           form=form, error=error, tax_id=request.args.get("tax_id", "")[:40]), status


@bp.get("/orders/<order_id>/results")
@login_required
def results(order_id: str) -> Any:
    """查看已分配结果: the enterprises holding seats of the order's lines, with their authorisation info."""
    current = _order(order_id)
    seat_lines = [line for line in current.get("lines") or [] if line.get("kind") == "seat"]
    line_ids = [line["id"] for line in seat_lines]
    chosen = request.args.get("line") if request.args.get("line") in line_ids else (line_ids[0] if line_ids else None)
    page: dict[str, Any] = {"items": [], "total": 0, "page": 1, "page_size": 20}
    if chosen:
        page = api().get("/entitlements/v1/allocations", params={"order_line_id": chosen, **page_args()})
    rows = page.get("items") or []
    clients = reveal_states([row["authorisation"]["client_id"] for row in rows if row.get("authorisation")])
    return render_template("pages/results.html", order=current, lines=seat_lines, page=page, rows=rows, chosen=chosen,
                           clients=clients)


def reveal_states(client_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The tenant's API clients among `client_ids` (revealed or not), from identity's list (first 200)."""
    if not client_ids:
        return {}
    listed = api().get("/identity/v1/api-clients", params={"page": 1, "page_size": 200}).get("items") or []
    wanted = set(client_ids)
    return {item["client_id"]: item for item in listed if item.get("client_id") in wanted}


@bp.post("/credentials/<client_id>/reveal")
@login_required
def reveal(client_id: str) -> Any:
    """立即查看: client_id, client_secret and encrypt key, shown this once (never stored by the portal)."""
    if len(client_id) > 64:
        abort(404)
    try:
        credentials = api().post(f"/identity/v1/api-clients/{client_id}/reveal")
    except ApiError as exc:
        if exc.status >= 500:
            raise
        return render_template("pages/credentials.html", credentials=None, message=problem_message(exc), client_id=client_id,
                               rotatable=exc.code == "already_revealed"), exc.status
    return render_template("pages/credentials.html", credentials=credentials, message=None, client_id=client_id)


@bp.post("/credentials/<client_id>/rotate")
@login_required
def rotate(client_id: str) -> Any:
    """重置 client secret: the old secret stops working at once; the new one can be viewed once."""
    if len(client_id) > 64:
        abort(404)
    api().post(f"/identity/v1/api-clients/{client_id}/rotate-secret")
    flash(_("The client secret is replaced; the old one no longer works. View the new one now (it is shown once)."), "success")
    return render_template("pages/credentials.html", credentials=None, message=None, client_id=client_id, rotated=True)
