"""WSGI app factory, served as the launcher does: `granian --interface wsgi --factory services.identity.entrypoints.api:create_app`.

Or under gunicorn: `gunicorn 'services.identity.entrypoints.api:create_app()'`."""
from __future__ import annotations

from flask import Flask

from services.identity.bootstrap import build_app


def create_app() -> Flask:
    return build_app()
