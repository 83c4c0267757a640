"""The audit log of staff and admin actions (`/identity/v1/audit-log`, X-4)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from services.identity.entrypoints import schemas
from services.identity.entrypoints.common import PREFIX, page
from shared.auth import require
from shared.clock import isoformat
from shared.web import current_context

blp = Blueprint("audit_log", __name__, url_prefix=f"{PREFIX}/audit-log", description="Audit log")


def _entry(row: Any) -> dict[str, Any]:
    return {**row._asdict(), "at": isoformat(row.at)}


@blp.route("")
class AuditLog(MethodView):
    @require("platform_admin")
    @blp.arguments(schemas.AuditQuerySchema, location="query")
    @blp.response(200, schemas.page_schema(schemas.AuditEntrySchema))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Audit entries, newest first, filtered by actor, action or target"""
        table = current_context().tables.audit_log
        query = select(table).order_by(table.c.id.desc())
        for name in ("actor_id", "action", "target_type", "target_id"):
            if args.get(name):
                query = query.where(table.c[name] == args[name])
        return page(query, args, _entry)
