"""Seed 000: 查看租户详情 and 查看租户管理员 — the tenant's details; its admins listed, added, edited, enabled, disabled.

Only enabled admins can sign in; identity refuses to disable the last enabled one (409 `last_admin`),
which the page says in words before anyone tries.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web.auth import api, current_user, login_required
from web.forms import AdminForm, AdminStatusForm
from web.gateway_client import ApiError
from web.messages import apply_to_form, problem_message

bp = Blueprint("tenant", __name__, url_prefix="/portal/tenant")

ADMIN_ROLE = "tenant_admin"


def _tenant() -> dict[str, Any]:
    return api().get(f"/identity/v1/tenants/{quote(str(current_user().get('org_id')), safe='')}")


def _body(form: AdminForm) -> dict[str, Any]:
    return {"email": form.email.data.strip(), "phone": form.phone.data.strip(), "name": (form.name.data or "").strip() or None}


@bp.route("", methods=["GET", "POST"])
@login_required
def index() -> Any:
    """租户详情 and 租户管理员, with 添加管理员 (the new admin gets an activation mail)."""
    tenant = _tenant()
    form = AdminForm()
    error = None
    if form.validate_on_submit():
        try:
            added = api().post("/identity/v1/users", json={**_body(form), "org_id": tenant["id"], "roles": [ADMIN_ROLE]})
        except ApiError as exc:
            error = apply_to_form(form, exc)
        else:
            flash(_("%(email)s is added as an administrator; the activation mail is on its way.", email=added.get("email")),
                  "success")
            return redirect(url_for("tenant.index"))
    enabled = [a for a in tenant.get("admins") or [] if a.get("status") == "active"]
    status = 422 if (form.errors or error) else 200
    return render_template("pages/tenant.html", tenant=tenant, form=form, error=error, status_form=AdminStatusForm(),
                           enabled_count=len(enabled)), status


def _admin(tenant: dict[str, Any], user_id: str) -> dict[str, Any]:
    found = next((a for a in tenant.get("admins") or [] if a.get("id") == user_id), None)
    if found is None:
        abort(404)
    return found


@bp.route("/admins/<user_id>", methods=["GET", "POST"])
@login_required
def edit(user_id: str) -> Any:
    """编辑 an admin: contact e-mail, mobile phone (where the SMS codes go), name."""
    tenant = _tenant()
    admin = _admin(tenant, user_id)
    form = AdminForm()
    if request.method == "GET":
        form.email.data, form.phone.data, form.name.data = admin.get("email"), admin.get("phone"), admin.get("name")
    error = None
    if form.validate_on_submit():
        try:
            api().patch(f"/identity/v1/tenants/{tenant['id']}/admins/{user_id}", json=_body(form))
        except ApiError as exc:
            error = apply_to_form(form, exc)
        else:
            flash(_("The administrator %(name)s is saved.", name=admin.get("username")), "success")
            return redirect(url_for("tenant.index"))
    status = 422 if (form.errors or error) else 200
    return render_template("pages/admin_edit.html", tenant=tenant, admin=admin, form=form, error=error), status


@bp.post("/admins/<user_id>/<action>")
@login_required
def set_status(user_id: str, action: str) -> Any:
    """启用 / 禁用: only enabled admins sign in; the last enabled one stays enabled."""
    if action not in ("enable", "disable"):
        abort(404)
    tenant = _tenant()
    admin = _admin(tenant, user_id)
    if AdminStatusForm().validate_on_submit():
        try:
            api().post(f"/identity/v1/tenants/{tenant['id']}/admins/{user_id}/{action}")
        except ApiError as exc:
            if exc.status >= 500:
                raise
            flash(problem_message(exc), "error")
        else:
            flash(_("%(name)s is enabled.", name=admin.get("username")) if action == "enable"
                  else _("%(name)s is disabled and can no longer sign in.", name=admin.get("username")), "success")
    return redirect(url_for("tenant.index"))
