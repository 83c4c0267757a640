"""The labels of entitlements' codes in zh-CN and en (`GET /entitlements/v1/labels`)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from services.entitlements.domain.labels import LABELS
from shared.auth import require
from shared.labels import LANGUAGES

blp = Blueprint("labels", __name__, url_prefix="/entitlements/v1/labels", description="What people read for the codes")


class LabelsOut(Schema):
    languages = fields.List(fields.String(), metadata={"description": "zh-CN (default) and en"})
    labels = fields.Dict(
        keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.String())),
        metadata={"description": "{kind: {code: {zh-CN, en}}}"},
    )


@blp.route("")
class Labels(MethodView):
    @require()
    @blp.response(200, LabelsOut)
    def get(self) -> dict[str, Any]:
        """Every code entitlements answers that people read (statuses, ERPs, deployments, categories, change requests)"""
        return {"languages": list(LANGUAGES), "labels": LABELS}
