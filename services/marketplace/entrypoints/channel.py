"""Dealers of a reseller and the channel users (accounts in identity; see the README for the split)."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.marketplace.entrypoints.access import current_channel, resellers_only
from services.marketplace.entrypoints.schemas.resellers import (
    ChannelUserPage,
    ChannelUserQuery,
    Dealer,
    DealerChanges,
    DealerInput,
    DealerPage,
    SearchQuery,
)
from services.marketplace.service_layer import channel
from shared.web import page_of, uow

blp = Blueprint("channel", __name__, url_prefix="/marketplace/v1", description="Dealers and channel users")
ADMIN = ("reseller_admin",)
STAFF = ("reseller_admin", "reseller_user")


@blp.route("/dealers")
class Dealers(MethodView):
    @resellers_only(*STAFF)
    @blp.arguments(SearchQuery, location="query")
    @blp.response(200, DealerPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Your dealers (经销商), searchable by name"""
        return page_of(uow().session, channel.dealers_query(current_channel(), args.get("q")), args["page"], args["page_size"])

    @resellers_only(*ADMIN)
    @blp.arguments(DealerInput)
    @blp.response(201, Dealer)
    def post(self, data: dict[str, Any]) -> Any:
        """Add a dealer (reseller admin)"""
        unit, caller = uow(), current_channel()
        return channel.dealer_of(unit, caller, channel.add_dealer(unit, caller, data))


@blp.route("/dealers/<dealer_id>")
class DealerDetails(MethodView):
    @resellers_only(*STAFF)
    @blp.response(200, Dealer)
    def get(self, dealer_id: str) -> Any:
        """A dealer of yours"""
        return channel.dealer_of(uow(), current_channel(), dealer_id)

    @resellers_only(*ADMIN)
    @blp.arguments(DealerChanges)
    @blp.response(200, Dealer)
    def patch(self, changes: dict[str, Any], dealer_id: str) -> Any:
        """Edit a dealer, or link it to its identity organisation (reseller admin)"""
        unit, caller = uow(), current_channel()
        channel.edit_dealer(unit, caller, dealer_id, changes)
        return channel.dealer_of(unit, caller, dealer_id)


def _status_view(status: str) -> type[MethodView]:
    class DealerStatus(MethodView):
        @resellers_only(*ADMIN)
        @blp.response(200, Dealer)
        def post(self, dealer_id: str) -> Any:
            unit, caller = uow(), current_channel()
            channel.set_dealer_status(unit, caller, dealer_id, status)
            return channel.dealer_of(unit, caller, dealer_id)

    DealerStatus.post.__doc__ = f"{'Enable' if status == 'enabled' else 'Disable'} a dealer (reseller admin)"
    DealerStatus.__name__ = f"Dealer{status.capitalize()}"
    return DealerStatus


blp.route("/dealers/<dealer_id>/enable")(_status_view("enabled"))
blp.route("/dealers/<dealer_id>/disable")(_status_view("disabled"))


@blp.route("/channel-users")
class ChannelUsers(MethodView):
    @resellers_only(*STAFF)
    @blp.arguments(ChannelUserQuery, location="query")
    @blp.response(200, ChannelUserPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Distributor users, or one dealer's users, as invited through identity"""
        unit, caller = uow(), current_channel()
        dealer_org_id = None
        if args.get("dealer_id"):
            dealer = channel.dealer_of(unit, caller, args["dealer_id"])
            if dealer.org_id is None:
                return {"items": [], "total": 0, "page": args["page"], "page_size": args["page_size"]}
            dealer_org_id = dealer.org_id
        query = channel.channel_users_query(caller, args.get("q"), dealer_org_id)
        return page_of(unit.session, query, args["page"], args["page_size"])
