"""The portal's home: a tenant admin lands on 租户权益看板 (seed 000); support staff on their search."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from web.auth import current_user, login_required
from web.pages import dashboard
from web.pages.support import is_support

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.get("/")
@login_required
def home() -> Any:
    roles = set(current_user().get("roles") or [])
    if "tenant_admin" in roles:
        return dashboard.board()
    if is_support():
        return redirect(url_for("support.index"))
    return render_template("pages/home.html", user=current_user())
