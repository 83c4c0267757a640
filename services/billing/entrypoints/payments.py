"""Provider callbacks and the sandbox provider's checkout page."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.billing.adapters.payment_providers import CallbackRejected, Checkout, SandboxProvider
from services.billing.domain.errors import RuleViolation
from services.billing.entrypoints import schemas
from services.billing.entrypoints.common import payment_provider
from services.billing.service_layer import payments
from services.billing.service_layer import sandbox as sandbox_outcomes
from shared import metrics
from shared.errors import Problem
from shared.web import current_context, db, uow

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
            metrics.PAYMENT_CALLBACKS.labels("rejected").inc()
            raise Problem(401, rejected.code, rejected.detail) from None
        try:
            answer = payments.record_callback(uow(), notice)
        except (Problem, RuleViolation):  # unknown payment, amount mismatch, contradicting outcome
            metrics.PAYMENT_CALLBACKS.labels("refused").inc()
            raise
        metrics.PAYMENT_CALLBACKS.labels(answer["result"]).inc()
        return answer


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
    @sandbox.response(202, schemas.SandboxPaid)
    def post(self, body: dict[str, Any], payment_id: str) -> dict[str, Any]:
        """The payer finishes at the sandbox: its signed callback reaches billing shortly after (sent by the worker)."""
        _sandbox_provider()
        return sandbox_outcomes.record_outcome(uow(), payment_id, body["outcome"])


def _sandbox_provider() -> SandboxProvider:
    provider = payment_provider()
    if not isinstance(provider, SandboxProvider):
        raise Problem(404, "not_found", "the sandbox provider is not in use")
    return provider


def _sandbox_checkout(payment_id: str) -> tuple[SandboxProvider, Checkout]:
    return _sandbox_provider(), payments.checkout_of(db(), payment_id)
