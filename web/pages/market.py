"""`/market`: reserved for the public storefront of seed 003 (the cloud reseller marketplace)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

bp = Blueprint("market", __name__, url_prefix="/market")


@bp.get("/")
def storefront() -> Any:
    return render_template("pages/market.html")
