"""HTTP endpoints of the licensing service (flask-smorest blueprints)."""
from __future__ import annotations

from flask_smorest import Blueprint


def blueprints() -> list[Blueprint]:
    return []
