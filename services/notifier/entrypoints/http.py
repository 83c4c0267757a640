"""HTTP endpoints of the notifier service (flask-smorest blueprints)."""
from __future__ import annotations

from flask_smorest import Blueprint

from services.notifier.entrypoints import messages, preferences


def blueprints() -> list[Blueprint]:
    return [messages.blp, preferences.blp]
