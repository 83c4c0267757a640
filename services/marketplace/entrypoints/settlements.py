"""Monthly settlement statements (分账管理): list, details by order, PDF/XLSX download, and runs by staff."""
from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from services.marketplace.adapters.documents import statement_pdf, statement_xlsx
from services.marketplace.adapters.orm import organisations
from services.marketplace.entrypoints.access import FINANCE_STAFF, caller_is_staff, current_channel, staff_only
from services.marketplace.entrypoints.schemas.assets import RunResult, StatementDetails, StatementPage, StatementQuery, StatementRun
from services.marketplace.service_layer import settlements
from shared.auth import require
from shared.web import page_of, uow

blp = Blueprint("settlements", __name__, url_prefix="/marketplace/v1/settlements", description="Monthly settlement statements")
READERS = ("reseller_admin", "reseller_user", *FINANCE_STAFF)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reseller_scope() -> str | None:
    return None if caller_is_staff() else current_channel().reseller_id


@blp.route("")
class Statements(MethodView):
    @require(*READERS)
    @blp.arguments(StatementQuery, location="query")
    @blp.response(200, StatementPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Statements by month (yours; finance sees all and may filter by reseller)"""
        reseller_id = _reseller_scope() or args.get("reseller_id")
        return page_of(uow().session, settlements.statements_query(reseller_id, args.get("period")), args["page"], args["page_size"])


@blp.route("/runs")
class StatementRuns(MethodView):
    @staff_only(*FINANCE_STAFF)
    @blp.arguments(StatementRun)
    @blp.response(201, RunResult)
    def post(self, run: dict[str, Any]) -> dict[str, Any]:
        """Generate the month's missing statements now (the job does it after each month; finance)"""
        unit = uow()
        created = settlements.generate_statements(unit, run["period"])
        unit.audit("settlements.generated", "period", run["period"], {"created": created})
        return {"created": created}


@blp.route("/<statement_id>")
class StatementView(MethodView):
    @require(*READERS)
    @blp.response(200, StatementDetails)
    def get(self, statement_id: str) -> Any:
        """A statement with its orders"""
        return settlements.statement_of(uow(), _reseller_scope(), statement_id)


def _download(statement_id: str, render: Any, mimetype: str, extension: str) -> Response:
    unit = uow()
    statement = settlements.statement_of(unit, _reseller_scope(), statement_id)
    name = unit.session.execute(select(organisations.c.name).where(organisations.c.org_id == statement.reseller_id)).scalar()
    return Response(render(statement, name or statement.reseller_id), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{statement.statement_no}.{extension}"'})


@blp.route("/<statement_id>/statement.xlsx")
class StatementXlsx(MethodView):
    @require(*READERS)
    @blp.response(200, content_type=XLSX)
    def get(self, statement_id: str) -> Response:
        """Download a statement as XLSX"""
        return _download(statement_id, statement_xlsx, XLSX, "xlsx")


@blp.route("/<statement_id>/statement.pdf")
class StatementPdf(MethodView):
    @require(*READERS)
    @blp.response(200, content_type="application/pdf")
    def get(self, statement_id: str) -> Response:
        """Download a statement as PDF"""
        return _download(statement_id, statement_pdf, "application/pdf", "pdf")
