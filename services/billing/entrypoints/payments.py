"""Provider callbacks and the sandbox provider's checkout page."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.billing.adapters.payment_providers import CallbackRejected, Checkout, SandboxProvider
from services.billing.entrypoints import schemas
from services.billing.entrypoints.common import payment_provider
from services.billing.service_layer import payments
from shared.errors import Problem
from shared.web import current_context, uow

callbacks = Blueprint("payment_callbacks", __name__, url_prefix="/billing/v1/payments", description="Payment provider callbacks")
sandbox = Blueprint("sandbox", __name__, url_prefix="/billing/v1/sandbox", description="The sandbox payment provider")


@callbacks.route("/callback")
class PaymentCallback(MethodView):
    @callbacks.response(200, schemas.CallbackResult)
    def post(self) -> dict[str, Any]:
        """A provider's payment notice: verified (401 unless correctly signed and fresh), idempotent."""
        try:
            notice = payment_provider().verify_callback(request.headers, request.get_data(), current_context().clock.now())
        except CallbackRejected as rejected:
            raise Problem(401, rejected.code, rejected.detail) from None
        return payments.record_callback(uow(), notice)


@sandbox.route("/pay/<payment_id>")
class SandboxCheckout(MethodView):
    @sandbox.response(200, schemas.SandboxPage)
    def get(self, payment_id: str) -> dict[str, Any]:
        """The sandbox checkout page (what the payer would see at WeChat Pay, Alipay or PayPal)."""
        _, checkout = _sandbox_checkout(payment_id)
        return {
            "payment_id": checkout.payment_id,
            "method": checkout.method,
            "amount_minor": checkout.amount_minor,
            "currency": checkout.currency,
        }

    @sandbox.arguments(schemas.SandboxPayIn)
    @sandbox.response(200, schemas.SandboxPaid)
    def post(self, body: dict[str, Any], payment_id: str) -> dict[str, Any]:
        """The payer finishes at the sandbox: it sends its signed callback to billing over HTTP."""
        provider, checkout = _sandbox_checkout(payment_id)
        status = provider.send_callback(checkout, body["outcome"], current_context().clock.now())
        return {"payment_id": payment_id, "outcome": body["outcome"], "callback_status": status}


def _sandbox_checkout(payment_id: str) -> tuple[SandboxProvider, Checkout]:
    """Read in a short session of its own: the callback comes back into this service over HTTP while this
    request waits, so it holds no transaction (nor its connection) meanwhile."""
    provider = payment_provider()
    if not isinstance(provider, SandboxProvider):
        raise Problem(404, "not_found", "the sandbox provider is not in use")
    with current_context().session_factory() as session:
        return provider, payments.checkout_of(session, payment_id)
