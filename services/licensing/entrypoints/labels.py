"""The labels of licensing's codes in zh-CN and en (`GET /licensing/v1/labels`)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.licensing.domain.labels import LABELS
from services.licensing.entrypoints.schemas import LabelsSchema
from shared.auth import require
from shared.labels import LANGUAGES

blp = Blueprint("labels", __name__, url_prefix="/licensing/v1/labels", description="What people read for the codes")


@blp.route("")
class LabelsView(MethodView):
    @require()
    @blp.response(200, LabelsSchema)
    def get(self) -> dict[str, Any]:
        """Every code licensing answers (states, sync errors, batch results, groups, license types) with its labels"""
        return {"languages": list(LANGUAGES), "labels": LABELS}
