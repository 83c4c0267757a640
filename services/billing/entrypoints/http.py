"""HTTP endpoints of the billing service (flask-smorest blueprints)."""
from __future__ import annotations

from flask_smorest import Blueprint


def blueprints() -> list[Blueprint]:
    return []
