"""WSGI app factory, served as the launcher does: `granian --interface wsgi --factory services.licensing.entrypoints.api:create_app`.

Or under gunicorn: `gunicorn 'services.licensing.entrypoints.api:create_app()'`."""
from __future__ import annotations

from flask import Flask

from services.licensing.bootstrap import build_app


def create_app() -> Flask:
    return build_app()
