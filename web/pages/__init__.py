"""The page blueprints. To add a page: a view in a blueprint here (or a new blueprint registered
below), a template under web/templates/pages/, its words wrapped in `_()` and translated
(web/README.md, "Adding a page")."""
from __future__ import annotations

from flask import Flask

from web.pages import auth, billing, changes, enterprises, market, orders, payments, portal


def register_pages(app: Flask) -> None:
    for blueprint in (auth.bp, portal.bp, orders.bp, enterprises.bp, changes.bp, payments.bp, market.bp, billing.bp):
        app.register_blueprint(blueprint)
