"""Support staff (platform roles `support`, `platform_admin`): find a tenant or an order by its number,
mail a new activation (operation key), review the tenants' change requests."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import quote

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.auth import api, current_user, login_required
from web.forms import ResendActivationForm, ReviewForm, SupportSearchForm
from web.gateway_client import ApiError
from web.labels import CHANGE_DETAILS
from web.messages import apply_to_form, problem_message

bp = Blueprint("support", __name__, url_prefix="/portal/support")

SUPPORT_ROLES = frozenset(("support", "platform_admin"))
F = TypeVar("F", bound=Callable[..., Any])


def is_support() -> bool:
    return bool(SUPPORT_ROLES & set(current_user().get("roles") or []))


def support_only(view: F) -> F:
    """Support pages: for the platform's support staff (the API checks the token again on every call)."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not is_support():
            abort(403)
        return view(*args, **kwargs)

    return login_required(guarded)  # type: ignore[return-value]


@bp.get("")
@support_only
def index() -> Any:
    """查找: a tenant by (part of) its name, an order by its number."""
    form = SupportSearchForm(request.args, meta={"csrf": False})
    tenants, order, searched = None, None, bool(request.args)
    if searched and form.validate():
        q, order_no = (form.q.data or "").strip(), (form.order_no.data or "").strip()
        if q:
            tenants = api().get("/identity/v1/organisations", params={"kind": "tenant", "q": q, "page_size": 20})
        if order_no:
            found = api().get("/entitlements/v1/orders", params={"order_no": order_no, "page_size": 1}).get("items") or []
            order = found[0] if found else None
            if order is None:
                form.order_no.errors = [*form.order_no.errors, _("No order has this number.")]
        if not q and not order_no:
            form.q.errors = [_("Enter a tenant name or an order number.")]
    status = 422 if form.errors else 200
    return render_template("pages/support.html", form=form, tenants=tenants, order=order, searched=searched), status


@bp.get("/tenants/<tenant_id>")
@support_only
def tenant(tenant_id: str) -> Any:
    """A tenant: its details and admins, its orders (with 重发激活邮件)."""
    if len(tenant_id) > 64:
        abort(404)
    details = api().get(f"/identity/v1/tenants/{quote(tenant_id, safe='')}")
    orders = api().get("/entitlements/v1/orders", params={"tenant_id": tenant_id, "page_size": 50})
    return render_template("pages/support_tenant.html", tenant=details, orders=orders, resend_form=ResendActivationForm())


@bp.get("/orders/<order_id>")
@support_only
def order(order_id: str) -> Any:
    if len(order_id) > 64:
        abort(404)
    found = api().get(f"/entitlements/v1/orders/{quote(order_id, safe='')}")
    return render_template("pages/support_order.html", order=found, resend_form=ResendActivationForm())


@bp.post("/orders/<order_id>/resend-activation")
@support_only
def resend_activation(order_id: str) -> Any:
    """重发激活邮件: a new operation key is mailed to the tenant; the previous one stops working."""
    if len(order_id) > 64:
        abort(404)
    if ResendActivationForm().validate_on_submit():
        try:
            resent = api().post(f"/entitlements/v1/orders/{quote(order_id, safe='')}/resend-activation")
        except ApiError as exc:
            if exc.status >= 500:
                raise
            flash(problem_message(exc), "error")
        else:
            flash(_("A new activation mail for order %(order_no)s is on its way; the previous operation key no longer works.",
                    order_no=resent.get("order_no")), "success")
    return redirect(url_for("support.order", order_id=order_id))


@bp.route("/change-requests", methods=["GET"])
@support_only
def change_requests() -> Any:
    """The tenants' change requests, pending first, each with its review form."""
    status = request.args.get("status") if request.args.get("status") in ("pending", "approved", "rejected") else "pending"
    page = request.args.get("page", "1")
    listed = api().get("/entitlements/v1/change-requests", params={"status": status, "page_size": 20,
                                                                    "page": int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1})
    return render_template("pages/support_changes.html", requests=listed, status=status, forms={}, errors={},
                           tenant_names=_tenant_names(listed), details=CHANGE_DETAILS)


@bp.post("/change-requests/<request_id>/review")
@support_only
def review(request_id: str) -> Any:
    """审核: approve (the rights move as asked) or reject, with a comment for the tenant."""
    if len(request_id) > 64:
        abort(404)
    form = ReviewForm()
    error = None
    if form.validate_on_submit():
        try:
            api().post(f"/entitlements/v1/change-requests/{quote(request_id, safe='')}/review",
                       json={"decision": form.decision.data, "comment": (form.comment.data or "").strip() or None})
        except ApiError as exc:
            if exc.status >= 500:
                raise
            error = apply_to_form(form, exc)
        else:
            flash(_("The change request is approved.") if form.decision.data == "approve" else _("The change request is rejected."),
                  "success")
            return redirect(url_for("support.change_requests"))
    listed = api().get("/entitlements/v1/change-requests", params={"status": "pending", "page_size": 20})
    return render_template("pages/support_changes.html", requests=listed, status="pending", forms={request_id: form},
                           errors={request_id: error}, tenant_names=_tenant_names(listed), details=CHANGE_DETAILS), 422


def _tenant_names(listed: dict[str, Any]) -> dict[str, str]:
    """The tenants' names for the page's requests (one call per tenant on the page; a name not found shows the id)."""
    names: dict[str, str] = {}
    for tenant_id in {item.get("tenant_id") for item in listed.get("items") or []} - {None}:
        try:
            names[tenant_id] = api().get(f"/identity/v1/tenants/{quote(tenant_id, safe='')}").get("name") or tenant_id
        except ApiError as exc:
            if exc.status >= 500:
                raise
    return names
