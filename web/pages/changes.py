"""Seed 001 special cases (ENT-8): 权益税号变更, 企业变更租户, 合并租户 — submit with a reason, follow the review."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.auth import api, login_required
from web.forms import ChangeRequestForm
from web.gateway_client import ApiError
from web.messages import apply_to_form
from web.pages.paging import page_args

bp = Blueprint("changes", __name__, url_prefix="/portal/change-requests")

CHANGE_REQUESTS = "/entitlements/v1/change-requests"
FIELDS_OF = {
    "tax_id_replacement": ("new_tax_id", "new_name"),
    "enterprise_move": ("tax_id",),
    "tenant_merge": ("target_tenant_id",),
}
REQUIRED_OF = {"tax_id_replacement": ("old_tax_id", "new_tax_id"), "enterprise_move": ("tax_id",), "tenant_merge": ("target_tenant_id",)}


@bp.route("", methods=["GET", "POST"])
@login_required
def index() -> Any:
    form = ChangeRequestForm()
    if request.method == "GET":
        form.kind.data = request.args.get("kind") if request.args.get("kind") in FIELDS_OF else None
        form.tax_id.data = (request.args.get("tax_id") or "")[:40]
    error = None
    replaced = _replaced_enterprise(form) if form.validate_on_submit() and _kind_fields_given(form) else None
    if replaced is not None:
        body = {"kind": form.kind.data, "reason": form.reason.data.strip(), **replaced}
        for name in FIELDS_OF[form.kind.data]:
            value = (getattr(form, name).data or "").strip()
            if value:
                body[name] = value.upper() if name in ("new_tax_id", "tax_id") else value
        try:
            api().post(CHANGE_REQUESTS, json=body)
        except ApiError as exc:
            error = apply_to_form(form, exc, {"enterprise_id": "old_tax_id"})
        else:
            flash(_("Your change request is submitted. Fapiaoyun staff review it; its state is shown below."), "success")
            return redirect(url_for("changes.index"))
    listed = api().get(CHANGE_REQUESTS, params=page_args())
    status = 422 if (form.errors or error) else 200
    return render_template("pages/change_requests.html", form=form, error=error, requests=listed), status


def _kind_fields_given(form: ChangeRequestForm) -> bool:
    """The fields the chosen kind needs are filled (the form shows them all; only the kind's count)."""
    missing = [name for name in REQUIRED_OF.get(form.kind.data or "", ()) if not (getattr(form, name).data or "").strip()]
    for name in missing:
        getattr(form, name).errors = [*getattr(form, name).errors, _("Required for this kind of change.")]
    return not missing


def _replaced_enterprise(form: ChangeRequestForm) -> dict[str, str] | None:
    """A tax-ID replacement names the enterprise by its current tax ID; the API wants its id.

    `{}` for the other kinds, `{"enterprise_id": …}` when found, None (and the error on the field) when not.
    """
    if form.kind.data != "tax_id_replacement":
        return {}
    tax_id = form.old_tax_id.data.strip().upper()
    found = api().get("/entitlements/v1/enterprises", params={"tax_id": tax_id, "page_size": 1}).get("items") or []
    if not found:
        form.old_tax_id.errors = [*form.old_tax_id.errors, _("None of your enterprises has this tax ID.")]
        return None
    return {"enterprise_id": found[0]["id"]}
