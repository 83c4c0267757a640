"""The reseller's profile page data and the membership tiers with their benefits."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.marketplace.domain.tiers import TIERS, benefits_table
from services.marketplace.entrypoints.access import REVIEW_STAFF, current_channel, resellers_only, staff_only
from services.marketplace.entrypoints.schemas.resellers import Profile, TierChange, Tiers
from services.marketplace.service_layer import profiles
from shared.web import uow

blp = Blueprint("profiles", __name__, url_prefix="/marketplace/v1", description="Reseller profile and membership tiers")


@blp.route("/profile")
class ResellerProfile(MethodView):
    @resellers_only()
    @blp.response(200, Profile)
    def get(self) -> dict[str, Any]:
        """The caller's reseller: organisation, registration details, tier and its benefits"""
        return profiles.profile(uow(), current_channel().reseller_id)


@blp.route("/tiers")
class MembershipTiers(MethodView):
    @blp.response(200, Tiers)
    def get(self) -> dict[str, Any]:
        """Membership tiers and the benefits table (会员权益)"""
        return {"tiers": list(TIERS), "benefits": benefits_table()}


@blp.route("/resellers/<reseller_id>/tier")
class ResellerTier(MethodView):
    @staff_only(*REVIEW_STAFF)
    @blp.arguments(TierChange)
    @blp.response(200, Profile)
    def put(self, change: dict[str, Any], reseller_id: str) -> dict[str, Any]:
        """Set a reseller's membership tier (platform staff)"""
        unit = uow()
        profiles.set_tier(unit, reseller_id, change["tier"])
        return profiles.profile(unit, reseller_id)
