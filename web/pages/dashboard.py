"""Seed 000, 租户权益看板: the tenant's dashboard and its drill-downs.

One API call draws the whole board (`GET /entitlements/v1/dashboard`: first pages of every panel);
each panel's 查看 opens a page of its own that pages through the API's list for it.
"""
from __future__ import annotations

import base64
import io
from datetime import date, timedelta
from typing import Any

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.auth import api, current_user, login_required
from web.charts import bar_chart
from web.forms import DigitalInvoiceForm, UsageFilterForm
from web.gateway_client import ApiError
from web.messages import problem_message

bp = Blueprint("dashboard", __name__, url_prefix="/portal")

ENT = "/entitlements/v1"
WINDOWS = ("30", "60", "90", "expired")
HOLDERS_SHOWN = 20
EXPIRING_PAGE = 5  # lines a page: each seat line costs one more API call (its holders)
CHART_DAYS = 31


def page_arg() -> int:
    page = request.args.get("page", "1")
    return max(1, min(int(page), 100_000)) if page.isdigit() else 1


def qr_data_uri(text: str) -> str:
    """The QR code of `text` as an SVG data: URI (drawn here; the CSP allows img-src data:)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def board() -> Any:
    """租户权益看板 (where a tenant admin lands)."""
    data = api().get(f"{ENT}/dashboard")
    digital = data.get("digital_invoice")
    return render_template("pages/dashboard.html", board=data, windows=WINDOWS,
                           qr=qr_data_uri(digital["activation_code"]) if digital else None,
                           digital_form=DigitalInvoiceForm())


@bp.get("/orders/unallocated")
@login_required
def unallocated() -> Any:
    """交易订单: orders bought, still valid, whose seats are not all allocated — with 去分配."""
    orders = api().get(f"{ENT}/orders", params={"unallocated": "true", "page": page_arg(), "page_size": 20,
                                                "tenant_id": current_user().get("org_id")})
    return render_template("pages/unallocated.html", orders=orders)


@bp.get("/expiring")
@login_required
def expiring() -> Any:
    """产品到期续费提醒: lines ending within 30/60/90 days or expired, serial numbers, who holds them."""
    window = request.args.get("window") if request.args.get("window") in WINDOWS else "30"
    lines = api().get(f"{ENT}/expiring-lines", params={"window": window, "page": page_arg(), "page_size": EXPIRING_PAGE})
    holders: dict[str, dict[str, Any]] = {}
    for line in lines.get("items") or []:
        if line.get("kind") == "seat" and line.get("allocated"):
            holders[line["line_id"]] = api().get(f"{ENT}/allocations", params={"order_line_id": line["line_id"],
                                                                               "page_size": HOLDERS_SHOWN})
    return render_template("pages/expiring.html", lines=lines, window=window, windows=WINDOWS, holders=holders)


@bp.get("/products/<product_code>")
@login_required
def product(product_code: str) -> Any:
    """产品使用配置信息: the enterprises and tax IDs holding a product, with their authorisation info."""
    held = api().get(f"{ENT}/allocations", params={"product_code": product_code[:64], "page": page_arg(), "page_size": 20})
    return render_template("pages/product.html", product_code=product_code[:64], held=held)


def _usage_filters(form: UsageFilterForm) -> dict[str, Any]:
    given = {"product_code": form.product_code.data, "tax_id": (form.tax_id.data or "").strip().upper() or None,
             "from": form.date_from.data.isoformat() if form.date_from.data else None,
             "to": form.date_to.data.isoformat() if form.date_to.data else None}
    return {k: v for k, v in given.items() if v}


def _traffic_products() -> list[dict[str, Any]]:
    return api().get(f"{ENT}/dashboard").get("traffic") or []


def _render_usage(traffic: list[dict[str, Any]], form: UsageFilterForm, **values: Any) -> str:
    names = {p["product_code"]: p.get("product_name") for p in traffic}
    context = {"ledger": None, "charts": [], "filters": {}, "query": {}, "error": None, **values}
    return render_template("pages/usage.html", form=form, traffic=traffic, product_names=names, **context)


def daily_series(filters: dict[str, Any]) -> dict[str, list[tuple[str, int]]]:
    """Units consumed per day and product (all tax IDs together: `/usage/daily?by=product`), oldest first:
    every day of the period's last 31 days (to `to`, or today), days without use included."""
    end = date.fromisoformat(filters["to"]) if filters.get("to") else date.today()
    start = end - timedelta(days=CHART_DAYS - 1)
    if filters.get("from"):
        start = max(start, date.fromisoformat(filters["from"]))
    params = {**filters, "from": start.isoformat(), "to": end.isoformat(), "by": "product", "page": 1, "page_size": 200}
    days = [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]
    per_product: dict[str, dict[str, int]] = {}
    for row in api().get(f"{ENT}/usage/daily", params=params).get("items") or []:
        per_day = per_product.setdefault(row["product_code"], dict.fromkeys(days, 0))
        if row["day"] in per_day:
            per_day[row["day"]] += int(row["units"])
    return {code: list(per_day.items()) for code, per_day in per_product.items()} | {"": [(day, 0) for day in days]}


@bp.get("/usage")
@login_required
def usage() -> Any:
    """流量耗用: a chart per product and period, the ledger with its filters, 导出."""
    traffic = _traffic_products()
    form = UsageFilterForm(request.args, meta={"csrf": False})
    form.product_code.choices = [("", _("All traffic products"))] + [
        (p["product_code"], p.get("product_name") or p["product_code"]) for p in traffic]
    if request.args and not form.validate():
        return _render_usage(traffic, form), 422
    filters = _usage_filters(form)
    try:
        ledger = api().get(f"{ENT}/usage", params={**filters, "page": page_arg(), "page_size": 20})
    except ApiError as exc:
        if exc.status != 422:
            raise
        for name, messages in exc.errors.items():
            target = {"from": form.date_from, "to": form.date_to}.get(name) or getattr(form, name, None)
            if target is not None:
                target.errors = [*list(target.errors or []), *messages]
        return _render_usage(traffic, form, error=problem_message(exc)), 422
    shown = [p for p in traffic if not filters.get("product_code") or p["product_code"] == filters["product_code"]]
    series_of = daily_series(filters) if shown else {}
    charts = []
    for pool in shown:
        series = series_of.get(pool["product_code"]) or series_of[""]
        charts.append({"pool": pool, "series": series, "used": sum(units for _, units in series),
                       "svg": bar_chart(series, title=_("Units used per day: %(product)s",
                                                        product=pool.get("product_name") or pool["product_code"]))})
    query = {name: request.args[name] for name in ("product_code", "tax_id", "date_from", "date_to") if request.args.get(name)}
    return _render_usage(traffic, form, ledger=ledger, charts=charts, filters=filters, query=query)


@bp.get("/usage/export")
@login_required
def usage_export() -> Any:
    """导出: the ledger with the page's filters, the API's CSV or XLSX passed on chunk by chunk as it arrives."""
    form = UsageFilterForm(request.args, meta={"csrf": False})
    form.product_code.choices = [(request.args.get("product_code", ""), "")]
    fmt = request.args.get("format") if request.args.get("format") in ("csv", "xlsx") else "csv"
    if not form.validate():
        flash(_("Correct the filters before exporting."), "error")
        return redirect(url_for("dashboard.usage", **request.args))
    try:
        upstream = api().download(f"{ENT}/usage/export", params={**_usage_filters(form), "format": fmt})
    except ApiError as exc:
        if exc.status >= 500:
            raise
        flash(problem_message(exc), "error")
        return redirect(url_for("dashboard.usage", **request.args))
    headers = {"Content-Disposition": upstream.headers.get("Content-Disposition") or f'attachment; filename="usage.{fmt}"'}
    def chunks() -> Any:
        try:
            yield from upstream.iter_content(64 * 1024)
        finally:
            upstream.close()

    return Response(chunks(), mimetype=upstream.headers.get("Content-Type"), headers=headers)


@bp.post("/digital-invoice")
@login_required
def digital_invoice() -> Any:
    """更新数电信息: issue the 数电 info, or a new one once the current one has expired."""
    if DigitalInvoiceForm().validate_on_submit():
        try:
            api().post(f"{ENT}/digital-invoice-info")
        except ApiError as exc:
            if exc.status >= 500:
                raise
            flash(problem_message(exc), "error")
        else:
            flash(_("The 数电 information is updated."), "success")
    return redirect(url_for("portal.home") + "#digital-title")
