"""Seed 001: 订单激活 and 权益分配 — the activation mail's link, the operation key, enterprises, allocation."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from web.auth import login_required

bp = Blueprint("orders", __name__, url_prefix="/portal")


@bp.get("/orders")
@login_required
def index() -> Any:
    return render_template("pages/home.html")


@bp.get("/orders/by-number/<order_no>")
@login_required
def order_by_number(order_no: str) -> Any:
    return render_template("pages/home.html", order_no=order_no)


@bp.get("/change-requests")
@login_required
def change_requests() -> Any:
    return render_template("pages/home.html")
