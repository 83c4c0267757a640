"""新增企业 (seed 001): the tenant's enterprises by tax ID, with the registry lookup while typing."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.auth import api, login_required
from web.forms import EnterpriseForm
from web.gateway_client import ApiError
from web.messages import apply_to_form, field_messages, problem_message
from web.pages.orders import reveal_states
from web.pages.paging import page_args
from web.security import safe_next

bp = Blueprint("enterprises", __name__, url_prefix="/portal/enterprises")

ENTERPRISES = "/entitlements/v1/enterprises"


@bp.route("", methods=["GET", "POST"])
@login_required
def index() -> Any:
    form = EnterpriseForm()
    next_path = safe_next(form.next.data if request.method == "POST" else request.args.get("next"))
    if request.method == "GET":
        form.next.data = next_path or ""
    error, bound_elsewhere = None, None
    if form.validate_on_submit():
        tax_id = form.tax_id.data.strip().upper()
        try:
            added = api().post(ENTERPRISES, json={"name": form.name.data.strip(), "tax_id": tax_id})
        except ApiError as exc:
            exc.extra.setdefault("tax_id", tax_id)
            error = apply_to_form(form, exc)
            if exc.code == "enterprise_bound_to_other_tenant":
                bound_elsewhere = tax_id
        else:
            flash(_("%(name)s (%(tax_id)s) is added.", name=added["name"], tax_id=added["tax_id"]), "success")
            return redirect(next_path or url_for("enterprises.index"))
    listed = api().get(ENTERPRISES, params=page_args())
    status = 422 if (form.errors or error) and not bound_elsewhere else (409 if bound_elsewhere else 200)
    return render_template("pages/enterprises.html", form=form, error=error, enterprises=listed, bound_elsewhere=bound_elsewhere,
                           move_url=url_for("changes.index", kind="enterprise_move", tax_id=bound_elsewhere) if bound_elsewhere else None,
                           clients=reveal_states([e["api_client_id"] for e in listed.get("items") or [] if e.get("api_client_id")])), status


@bp.get("/lookup")
@login_required
def lookup() -> Any:
    """The registry lookup as a fragment (htmx, while the tax ID is typed): validity, 工商信息, who holds it."""
    tax_id = (request.args.get("tax_id") or "").strip()
    if len(tax_id) < 15:
        return render_template("partials/registration.html", found=None, problem=None)
    try:
        found = api().get(f"/entitlements/v1/registrations/{quote(tax_id[:40], safe='')}")
    except ApiError as exc:
        if exc.status >= 500 or exc.status == 404:
            return render_template("partials/registration.html", found=None, problem=None)
        exc.extra.setdefault("tax_id", tax_id.upper())
        words = " ".join(m for messages in field_messages(exc).values() for m in messages) or problem_message(exc)
        return render_template("partials/registration.html", found=None, problem=words)
    return render_template("partials/registration.html", found=found, problem=None)
