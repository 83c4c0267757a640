"""The portal's home: where a signed-in user lands (the tenant dashboard of seed 000 grows here)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from web.auth import current_user, login_required

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.get("/")
@login_required
def home() -> Any:
    return render_template("pages/home.html", user=current_user())
