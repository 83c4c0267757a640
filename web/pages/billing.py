"""Seed 002 in the portal: the customer's 充值中心 (充值续费, balance and online top-up, 充值记录 with export)
and the staff's offline top-ups (sales draft, edit, submit; finance reviews naming the version).

Everything goes through billing's API as the signed-in user (`/billing/v1/...`); the API decides who may
see and do what (a customer sees its company and the companies below it; staff act across companies).
"""
from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.auth import access_token, api, current_user, gateway, login_required
from web.gateway_client import ApiError
from web.labels import label
from web.messages import apply_to_form, field_messages, problem_message, register_codes
from web.pages.billing_forms import (
    ConfirmForm,
    DeviceBatchForm,
    ExpiryImportForm,
    OfflineTopupForm,
    PayForm,
    RenewalForm,
    ReviewForm,
    TopupForm,
    minor_units,
)
from web.pages.paging import page_args

bp = Blueprint("billing", __name__, url_prefix="/portal/billing")

API = "/billing/v1"
DEVICE_PAGE_SIZE = 50
ONLINE = {"CNY": ("wechat", "alipay"), "USD": ("paypal",)}
STAFF = {"sales", "finance", "platform_admin"}

METHODS = {"balance": _l("Account balance"), "wechat": _l("WeChat Pay"), "alipay": _l("Alipay"), "paypal": _l("PayPal"),
           "offline": _l("Offline transfer")}
ORDER_KINDS = {"renewal": _l("Renewal"), "topup": _l("Top-up"), "value_added": _l("Value-added package")}
ORDER_STATUSES = {"draft": _l("To confirm"), "pending_payment": _l("Awaiting payment"), "paid": _l("Paid"), "failed": _l("Failed")}
PAYMENT_STATUSES = {"pending": _l("Pending"), "succeeded": _l("Succeeded"), "failed": _l("Failed")}
EXPIRY_STATES = {"ok": _l("Valid"), "expiring": _l("Expiring"), "expired": _l("Expired")}
TOPUP_STATUSES = {"draft": _l("Draft"), "submitted": _l("Awaiting review"), "returned": _l("Returned"), "approved": _l("Approved"),
                  "declined": _l("Declined")}
LEDGER_KINDS = {"topup": _l("Online top-up"), "offline_topup": _l("Offline top-up"), "payment": _l("Payment"), "refund": _l("Refund")}

register_codes({
    "insufficient_balance": lambda e: _("The balance is too small for this order (%(balance)s). Top it up or pay online.",
                                        balance=money(e.extra.get("balance_minor"), e.extra.get("currency") or "")),
    "order_not_payable": lambda e: _("This order can no longer be paid: it is paid or being paid."),
    "order_not_draft": lambda e: _("This order is already confirmed."),
    "method_not_available_for_currency": lambda e: _("WeChat Pay and Alipay pay CNY, PayPal pays USD."),
    "mixed_currencies": lambda e: _("The ticked devices' packages are priced in different currencies; renew them in separate orders."),
    "package_not_renewable": lambda e: _("A ticked device has a one-off package, which cannot be renewed."),
    "device_without_package": lambda e: _("A ticked device has no package; ask support to bind one first."),
    "device_deactivated": lambda e: _("A ticked device is deactivated; reactivate it first."),
    "device_of_other_company": lambda e: _("A ticked device is unknown or not your company's."),
    "bad_template": lambda e: _("This is not the expiry template: its first row must be device_id, expires_on. Download the template."),
    "too_many_rows": lambda e: _("The sheet has more than 100,000 rows; split it."),
    "sheet_too_large": lambda e: _("The sheet is too large to read; save it again from the template without extra content."),
    "payload_too_large": lambda e: _("The file is larger than 16 MB."),
    "unknown_device": lambda e: _("A ticked device is unknown or not your company's."),
    "unknown_company": lambda e: _("Billing does not know this company."),
    "topup_not_editable": lambda e: _("This request is with finance for review and cannot be changed now."),
    "topup_not_submittable": lambda e: _("This request was already submitted."),
    "topup_not_reviewable": lambda e: _("This request was already reviewed; your click changed nothing."),
    "topup_version_mismatch": lambda e: _("The request was changed after you opened it; look at it again before reviewing."),
    "comment_required": lambda e: _("Say why: a returned or declined request needs a comment."),
    "already_processed": lambda e: _("This payment was already processed."),
})


def money(amount_minor: Any, currency: str) -> str:
    """Minor units as yuan / dollars with the currency: 12800, CNY -> 128.00 CNY."""
    if amount_minor is None:
        return "—"
    sign = "-" if int(amount_minor) < 0 else ""
    whole, cents = divmod(abs(int(amount_minor)), 100)
    return f"{sign}{whole:,}.{cents:02d} {currency}".strip()


@bp.app_template_filter("money")
def money_filter(amount_minor: Any, currency: str = "") -> str:
    return money(amount_minor, currency)


FILTERS = {
    "billing_method_label": lambda v: label(METHODS, v),
    "billing_order_kind_label": lambda v: label(ORDER_KINDS, v),
    "billing_order_status_label": lambda v: label(ORDER_STATUSES, v),
    "billing_payment_status_label": lambda v: label(PAYMENT_STATUSES, v),
    "expiry_state_label": lambda v: label(EXPIRY_STATES, v),
    "topup_status_label": lambda v: label(TOPUP_STATUSES, v),
    "ledger_kind_label": lambda v: label(LEDGER_KINDS, v),
}


@bp.record_once
def _filters(state: Any) -> None:
    state.app.jinja_env.filters.update(FILTERS)


@bp.app_context_processor
def billing_roles() -> dict[str, Any]:
    roles = set(current_user().get("roles") or [])
    return {"is_billing_customer": "customer" in roles, "is_billing_staff": bool(roles & STAFF),
            "is_billing_sales": bool(roles & {"sales", "platform_admin"}),
            "is_billing_finance": bool(roles & {"finance", "platform_admin"}),
            "is_billing_support": bool(roles & {"support", "platform_admin"})}


def _id(value: str) -> str:
    if len(value) > 64:
        abort(404)
    return value


# 充值续费 -----------------------------------------------------------------------------------------------

@bp.route("/renewals", methods=["GET", "POST"])
@login_required
def renewals() -> Any:
    """充值续费: the company's expired (or expiring) devices, 批量延期时长, 一键续费 -> the order to confirm."""
    view = request.args.get("view") if request.args.get("view") in ("expired", "expiring") else "expired"
    form = RenewalForm()
    error = None
    if form.validate_on_submit():
        months = form.chosen_months()
        if months is not None:
            items = [{"device_id": device_id, "months": months} for device_id in form.device_ids.data]
            try:
                order = api().post(f"{API}/renewal-orders", json={"items": items})
            except ApiError as exc:
                error = apply_to_form(form, exc, {"items": "device_ids"})
            else:
                flash(_("Order %(order_no)s is drafted. Check it and confirm it, then pay.", order_no=order["order_no"]), "success")
                return redirect(url_for("billing.order", order_id=order["id"]))
    devices = api().get(f"{API}/devices", params={"status": view, **page_args(DEVICE_PAGE_SIZE)})
    status = 422 if (form.errors or error) else 200
    return render_template("billing/renewals.html", form=form, error=error, devices=devices, view=view,
                           ticked=set(form.device_ids.data or []), names=dict(_companies())), status


DEVICE_VIEWS = {"active": _l("In use"), "expiring": _l("Expiring"), "expired": _l("Expired"), "deactivated": _l("Deactivated")}


@bp.route("/devices", methods=["GET", "POST"])
@login_required
def devices() -> Any:
    """设备: the company's devices by view (in use, expiring, expired, deactivated); 停用 / 启用 one or many."""
    view = request.args.get("view") if request.args.get("view") in DEVICE_VIEWS else "active"
    form = DeviceBatchForm()
    error = None
    if form.validate_on_submit():
        try:
            result = api().post(f"{API}/devices/{form.action.data}", json={"device_ids": form.device_ids.data})
        except ApiError as exc:
            error = apply_to_form(form, exc)
        else:
            changed, unchanged = len(result.get("changed") or []), len(result.get("unchanged") or [])
            words = (_("%(changed)s devices deactivated; %(unchanged)s were already deactivated.", changed=changed, unchanged=unchanged)
                     if form.action.data == "deactivate" else
                     _("%(changed)s devices reactivated; %(unchanged)s were already in use.", changed=changed, unchanged=unchanged))
            flash(words, "success")
            return redirect(url_for("billing.devices", view=view))
    listed = api().get(f"{API}/devices", params={"status": view, **page_args(DEVICE_PAGE_SIZE)})
    status = 422 if (form.errors or error) else 200
    return render_template("billing/devices.html", form=form, error=error, devices=listed, view=view, views=DEVICE_VIEWS,
                           ticked=set(form.device_ids.data or []), names=dict(_companies())), status


def _pay_choices(currency: str) -> list[tuple[str, Any]]:
    return [(m, METHODS[m]) for m in ("balance", *ONLINE.get(currency, ()))]


@bp.route("/orders/<order_id>", methods=["GET", "POST"])
@login_required
def order(order_id: str) -> Any:
    """One order: 确认 (the second confirmation) while a draft, then 支付 by balance or online."""
    current = api().get(f"{API}/orders/{_id(order_id)}")
    confirm, pay = ConfirmForm(prefix="confirm"), PayForm(prefix="pay")
    pay.method.choices = _pay_choices(current["currency"])
    error = None
    if current["status"] == "draft" and request.form.get("step") == "confirm" and confirm.validate_on_submit():
        try:
            api().post(f"{API}/renewal-orders/{order_id}/confirm")
        except ApiError as exc:
            error = problem_message(exc)
        else:
            flash(_("Order %(order_no)s is confirmed. Choose how to pay.", order_no=current["order_no"]), "success")
            return redirect(url_for("billing.order", order_id=order_id))
    elif current["status"] == "pending_payment" and request.form.get("step") == "pay" and pay.validate_on_submit():
        key = pay.idempotency_key.data if _is_key(pay.idempotency_key.data) else str(uuid.uuid4())
        try:
            started = api().post(f"{API}/orders/{order_id}/payments", json={"method": pay.method.data}, headers={"Idempotency-Key": key})
        except ApiError as exc:
            error = apply_to_form(pay, exc)
        else:
            if started.get("redirect_url"):
                back = url_for("billing.order", order_id=order_id)
                return redirect(f"{started['redirect_url']}?{urlencode({'method': pay.method.data, 'back': back})}")
            flash(_("Order %(order_no)s is paid from the balance.", order_no=current["order_no"]), "success")
            return redirect(url_for("billing.order", order_id=order_id))
    if not pay.idempotency_key.data or request.method == "GET" or not error:
        pay.idempotency_key.data = str(uuid.uuid4())
    status = 422 if (pay.errors or error) else 200
    return render_template("billing/order.html", order=current, confirm=confirm, pay=pay, error=error), status


def _is_key(value: str | None) -> bool:
    try:
        return bool(value) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


# Balance and online top-up ----------------------------------------------------------------------------------

@bp.route("/balance", methods=["GET", "POST"])
@login_required
def balance() -> Any:
    """余额: the balance per currency, its history, and 在线充值."""
    form = TopupForm()
    form.method.choices = [(m, METHODS[m]) for m in ("wechat", "alipay", "paypal")]
    error = None
    if form.validate_on_submit():
        key = form.idempotency_key.data if _is_key(form.idempotency_key.data) else str(uuid.uuid4())
        body = {"amount_minor": minor_units(form.amount.data), "currency": form.currency.data, "method": form.method.data}
        try:
            started = api().post(f"{API}/topups", json=body, headers={"Idempotency-Key": key})
        except ApiError as exc:
            error = apply_to_form(form, exc, {"amount_minor": "amount"})
        else:
            back = url_for("billing.balance")
            return redirect(f"{started['redirect_url']}?{urlencode({'method': form.method.data, 'back': back})}")
    form.idempotency_key.data = str(uuid.uuid4())
    balances = api().get(f"{API}/balance")
    entries = api().get(f"{API}/balance/entries", params=page_args())
    status = 422 if (form.errors or error) else 200
    return render_template("billing/balance.html", form=form, error=error, balances=balances, entries=entries), status


# 充值记录 ---------------------------------------------------------------------------------------------------

RECORD_FILTERS = {"kind": tuple(ORDER_KINDS), "status": tuple(ORDER_STATUSES), "method": tuple(METHODS), "currency": ("CNY", "USD")}


def _record_filters() -> tuple[dict[str, str], dict[str, str]]:
    """The order-record filters of the query string that the API accepts; the refused ones in words."""
    chosen: dict[str, str] = {}
    refused: dict[str, str] = {}
    for name, allowed in RECORD_FILTERS.items():
        if request.args.get(name) in allowed:
            chosen[name] = request.args[name]
    company = (request.args.get("company_id") or "").strip()
    if company and len(company) <= 64:
        chosen["company_id"] = company
        if request.args.get("scope") in ("direct", "all"):
            chosen["scope"] = request.args["scope"]
    for name in ("from", "to"):
        value = (request.args.get(name) or "").strip()
        if value:
            if len(value) == 10 and value[4] == "-" and value[7] == "-" and value.replace("-", "").isdigit():
                chosen[name] = value
            else:
                refused[name] = _("Enter a date such as 2026-01-31.")
    if "from" in chosen and "to" in chosen and chosen["from"] > chosen["to"]:
        refused["to"] = _("The end date is before the start date.")
        chosen.pop("to")
    return chosen, refused


@bp.get("/records")
@login_required
def records() -> Any:
    """充值记录: the order records with the manual's filters; 导出 as XLSX or CSV."""
    chosen, refused = _record_filters()
    error = None
    try:
        listed = api().get(f"{API}/orders", params={**chosen, **page_args()})
    except ApiError as exc:
        if exc.status >= 500 or exc.status in (401, 403):
            raise
        error, listed = problem_message(exc), {"items": [], "total": 0, "page": 1, "page_size": 20}
        refused.update({name: " ".join(messages) for name, messages in field_messages(exc).items()})
    status = 422 if (refused or error) else 200
    return render_template("billing/records.html", records=listed, chosen=chosen, refused=refused, error=error,
                           filters=RECORD_FILTERS, raw=request.args, names=dict(_companies())), status


@bp.get("/records/export")
@login_required
def export() -> Any:
    """导出: billing's export of the same filters, handed to the browser as a file."""
    chosen, refused = _record_filters()
    fmt = request.args.get("format") if request.args.get("format") in ("csv", "xlsx") else "csv"
    if refused:
        return redirect(url_for("billing.records", **request.args))
    answer = gateway().call("GET", f"{API}/orders/export", token=access_token(), params={**chosen, "format": fmt},
                            headers={"Accept": "*/*"})
    headers = {"Content-Disposition": answer.headers.get("Content-Disposition") or f'attachment; filename="orders.{fmt}"'}
    return Response(answer.content, mimetype=answer.headers.get("Content-Type", "application/octet-stream"), headers=headers)


# Offline top-ups (staff) ---------------------------------------------------------------------------------------

def _companies() -> list[tuple[str, str]]:
    """The companies the user may see (a customer: its own and those below it), first 200, as (id, name)."""
    listed = api().get(f"{API}/companies", params={"page": 1, "page_size": 200}).get("items") or []
    return [(c["id"], c.get("name") or c["id"]) for c in listed]


def _topup_body(form: OfflineTopupForm) -> dict[str, Any]:
    return {"company_id": form.company_id.data, "payer": form.payer.data.strip(), "currency": form.currency.data,
            "amount_minor": minor_units(form.amount.data), "reference": form.reference.data.strip()}


TOPUP_FIELDS = {"amount_minor": "amount"}


@bp.route("/offline-topups", methods=["GET", "POST"])
@login_required
def offline_topups() -> Any:
    """线下充值: the requests (by state); sales drafts a new one here."""
    form = OfflineTopupForm()
    form.company_id.choices = [("", _("Choose a company")), *_companies()]
    error = None
    if form.validate_on_submit():
        try:
            created = api().post(f"{API}/offline-topups", json=_topup_body(form))
        except ApiError as exc:
            error = apply_to_form(form, exc, TOPUP_FIELDS)
        else:
            flash(_("The draft is saved. Check it and submit it for finance's review."), "success")
            return redirect(url_for("billing.offline_topup", topup_id=created["id"]))
    status_filter = request.args.get("status") if request.args.get("status") in TOPUP_STATUSES else None
    listed = api().get(f"{API}/offline-topups", params={**page_args(), **({"status": status_filter} if status_filter else {})})
    names = dict(form.company_id.choices)
    status = 422 if (form.errors or error) else 200
    return render_template("billing/offline_topups.html", form=form, error=error, topups=listed, status_filter=status_filter,
                           names=names, statuses=TOPUP_STATUSES), status


@bp.route("/offline-topups/<topup_id>", methods=["GET", "POST"])
@login_required
def offline_topup(topup_id: str) -> Any:
    """One request: sales edits (draft, returned) and submits it; finance reviews the submitted version once."""
    path = f"{API}/offline-topups/{_id(topup_id)}"
    current = api().get(path)
    edit, review = OfflineTopupForm(prefix="edit"), ReviewForm(prefix="review")
    edit.company_id.choices = [("", _("Choose a company")), *_companies()]
    step = request.form.get("step")
    error = None
    done = None
    if step == "edit" and edit.validate_on_submit():
        try:
            api().patch(path, json=_topup_body(edit))
        except ApiError as exc:
            error = apply_to_form(edit, exc, TOPUP_FIELDS)
        else:
            done = _("The changes are saved (version %(version)s).", version=current["version"] + 1)
    elif step == "submit" and ConfirmForm(prefix="submit").validate_on_submit():
        try:
            api().post(f"{path}/submit")
        except ApiError as exc:
            error = problem_message(exc)
        else:
            done = _("Submitted for finance's review.")
    elif step == "review" and review.validate_on_submit():
        key = review.idempotency_key.data if _is_key(review.idempotency_key.data) else str(uuid.uuid4())
        body = {"decision": review.decision.data, "comment": (review.comment.data or "").strip() or None,
                "version": int(review.version.data) if review.version.data.isdigit() else 0}
        try:
            api().post(f"{path}/review", json=body, headers={"Idempotency-Key": key})
        except ApiError as exc:
            error = apply_to_form(review, exc)
        else:
            done = {"approve": _("Approved: the amount is credited to the company's balance."),
                    "return": _("Returned to sales with your comment."),
                    "decline": _("Declined.")}[review.decision.data]
    if done:
        flash(done, "success")
        return redirect(url_for("billing.offline_topup", topup_id=topup_id))
    if request.method == "GET" or not edit.errors:
        edit.company_id.data, edit.payer.data, edit.currency.data = current["company_id"], current["payer"], current["currency"]
        edit.reference.data = current["reference"]
        edit.amount.data = None
        edit.amount.raw_data = [f"{current['amount_minor'] // 100}.{current['amount_minor'] % 100:02d}"]
    review.version.data = str(current["version"])
    review.idempotency_key.data = str(uuid.uuid4())
    status = 422 if (edit.errors or review.errors or error) else 200
    return render_template("billing/offline_topup.html", topup=current, edit=edit, review=review, submit=ConfirmForm(prefix="submit"),
                           error=error, names=dict(edit.company_id.choices)), status


# Expiry imports (sales, support) -----------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 16 * 1024 * 1024  # billing's BILLING_MAX_BODY_BYTES
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REJECTIONS = {"bad_device_id": _l("Not a device ID"), "bad_date": _l("Not a date (YYYY-MM-DD, 2000-2199)"),
              "unknown_device": _l("No such device"), "out_of_scope": _l("A device of another company")}
IMPORT_STATUSES = {"pending": _l("Waiting"), "running": _l("Importing"), "done": _l("Finished"), "failed": _l("Failed")}


@bp.record_once
def _import_filters(state: Any) -> None:
    state.app.jinja_env.filters["rejection_label"] = lambda v: label(REJECTIONS, v)
    state.app.jinja_env.filters["import_status_label"] = lambda v: label(IMPORT_STATUSES, v)
    # First of the app's before-request functions: CSRFProtect reads the form in its own, under the app's
    # 1 MiB MAX_CONTENT_LENGTH; only the upload of an expiry sheet may be as large as billing accepts.
    state.app.before_request_funcs.setdefault(None, []).insert(0, _upload_limit)


def _upload_limit() -> None:
    if request.endpoint == "billing.expiry_imports" and request.method == "POST":
        request.max_content_length = MAX_UPLOAD_BYTES + 64 * 1024  # the sheet plus the form's other fields


@bp.get("/expiry-template")
@login_required
def expiry_template() -> Any:
    """下载模板: billing's XLSX template, handed on."""
    answer = gateway().call("GET", f"{API}/devices/expiry-template", token=access_token(), headers={"Accept": "*/*"})
    return Response(answer.content, mimetype=answer.headers.get("Content-Type", "application/octet-stream"),
                    headers={"Content-Disposition": 'attachment; filename="expiry-template.xlsx"'})


@bp.route("/expiry-imports", methods=["GET", "POST"])
@login_required
def expiry_imports() -> Any:
    """批量导入到期日: download the template, upload the filled sheet; the import runs in billing's worker."""
    form = ExpiryImportForm()
    error = None
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            form.file.errors = [*form.file.errors, _("The file is larger than 16 MB.")]
        else:
            files = {"file": (upload.filename or "import.xlsx", content, XLSX)}
            try:
                started = api().post(f"{API}/devices/expiry-imports", files=files)
            except ApiError as exc:
                error = apply_to_form(form, exc)
            else:
                return redirect(url_for("billing.expiry_import", import_id=started["id"]))
    status = 422 if (form.errors or error) else 200
    return render_template("billing/expiry_imports.html", form=form, error=error), status


@bp.get("/expiry-imports/<import_id>")
@login_required
def expiry_import(import_id: str) -> Any:
    """The import's progress (htmx asks again every 2 s while it runs) and the rows it rejected."""
    job = api().get(f"{API}/devices/expiry-imports/{_id(import_id)}")
    if request.headers.get("HX-Request"):
        return render_template("billing/expiry_import_progress.html", job=job)
    return render_template("billing/expiry_import.html", job=job)
