"""Message log endpoints: platform staff list, search, read and resend messages."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.notifier.adapters import message_store
from services.notifier.adapters.message_store import MessageFilter
from services.notifier.entrypoints.access import platform_staff_only
from services.notifier.entrypoints.schemas import MessagePage, MessageQuery, MessageSchema, ResendSchema
from services.notifier.service_layer.staff import resend_message
from shared.errors import not_found
from shared.web import db, page_of, uow

blp = Blueprint("messages", __name__, url_prefix="/notifier/v1/messages", description="The message log (mail and SMS)")


def _message(message_id: str) -> Any:
    message = message_store.get_message(db(), message_id) if len(message_id) <= 36 else None
    if message is None:
        raise not_found("message")
    return message


@blp.route("")
class Messages(MethodView):
    @platform_staff_only
    @blp.arguments(MessageQuery, location="query")
    @blp.response(200, MessagePage)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """List and search messages, newest first

        Filters: part of the recipient address, event type, event id, status, channel.
        """
        criteria = MessageFilter(**{k: v for k, v in query.items() if k not in ("page", "page_size")})
        return page_of(db(), message_store.messages_query(criteria), query["page"], query["page_size"])


@blp.route("/<message_id>")
class Message(MethodView):
    @platform_staff_only
    @blp.response(200, MessageSchema)
    def get(self, message_id: str) -> Any:
        """Read one message (its body with secrets masked)"""
        return _message(message_id)


@blp.route("/<message_id>/resend")
class MessageResend(MethodView):
    @platform_staff_only
    @blp.response(202, ResendSchema)
    def post(self, message_id: str) -> dict[str, Any]:
        """Send a message again

        The message is queued again with fresh attempts. If its real text was already deleted (it was
        sent, and it carried secrets), the masked copy is sent and `content` says `masked`.
        """
        resend = resend_message(uow(), message_id)
        db().flush()
        return {"message": _message(message_id), "content": resend.content}
