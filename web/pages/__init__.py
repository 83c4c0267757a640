"""The page blueprints. To add a page: a view in a blueprint here (or a new blueprint registered
below), a template under web/templates/pages/, its words wrapped in `_()` and translated
(web/README.md, "Adding a page")."""
from __future__ import annotations

from flask import Flask

from web.pages import auth, billing, changes, dashboard, enterprises, licensing, market, orders, payments, portal, support, tenant


def register_pages(app: Flask) -> None:
    for blueprint in (auth.bp, portal.bp, dashboard.bp, tenant.bp, orders.bp, enterprises.bp, licensing.bp, changes.bp, support.bp,
                      payments.bp, market.bp, billing.bp):
        app.register_blueprint(blueprint)
