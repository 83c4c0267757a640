"""Paying orders: online through the sandbox provider (signed callbacks), bank transfer, credit line."""
from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from services.marketplace.adapters.sandbox_provider import CallbackRejected, verify
from services.marketplace.entrypoints.access import FINANCE_STAFF, current_channel, resellers_only, sandbox_provider, staff_only
from services.marketplace.entrypoints.schemas.sales import (
    CallbackResult,
    PaymentInput,
    PaymentPage,
    PaymentQuery,
    PaymentRecord,
    PaymentStarted,
    ProviderNotification,
    RefundInput,
    SandboxOutcome,
    SandboxResult,
    TransferReview,
)
from services.marketplace.service_layer import payments, refunds, sandbox
from shared.errors import Problem
from shared.idempotency import idempotent
from shared.uow import UnitOfWork
from shared.web import current_context, page_of, uow

blp = Blueprint("payments", __name__, url_prefix="/marketplace/v1", description="Order payments and the sandbox provider")


@blp.route("/orders/<order_id>/payments")
class OrderPayments(MethodView):
    @idempotent
    @resellers_only()
    @blp.arguments(PaymentInput)
    @blp.response(201, PaymentStarted)
    def post(self, data: dict[str, Any], order_id: str) -> dict[str, Any]:
        """Pay an order: online (redirect to the sandbox), offline transfer details, or credit with the emailed code"""
        return payments.pay_order(uow(), current_channel(), order_id, data["method"], data)


@blp.route("/sandbox/pay/<payment_id>")
class SandboxPay(MethodView):
    @blp.arguments(SandboxOutcome)
    @blp.response(202, SandboxResult)
    def post(self, args: dict[str, Any], payment_id: str) -> dict[str, Any]:
        """The sandbox provider's payment page: succeed or fail; its signed callback follows (sent by the worker)"""
        return sandbox.record_outcome(uow(), payment_id, args["outcome"])


@blp.route("/payments/sandbox-callback")
class SandboxCallback(MethodView):
    @blp.response(200, CallbackResult)
    def post(self) -> dict[str, Any]:
        """The provider's signed notification (signature and freshness verified, applied once)"""
        body = request.get_data(cache=True)
        try:
            verify(body, request.headers, sandbox_provider().secret, current_context().clock.now())
        except CallbackRejected as rejected:
            raise Problem(401, rejected.code, rejected.detail) from None
        try:
            notification = ProviderNotification().load(request.get_json(force=True, silent=True) or {})
        except ValidationError as error:
            raise Problem(422, "validation_failed", "malformed notification", errors=error.normalized_messages()) from None
        return {"payment_id": notification["payment_id"], "status": payments.record_notification(uow(), notification)}


@blp.route("/payments/<payment_id>/review")
class TransferReviewView(MethodView):
    @staff_only(*FINANCE_STAFF)
    @blp.arguments(TransferReview)
    @blp.response(200, CallbackResult)
    def post(self, review: dict[str, Any], payment_id: str) -> dict[str, Any]:
        """Confirm or reject an offline bank transfer (finance)"""
        outcome = payments.review_transfer(uow(), payment_id, review["decision"], review.get("comment"))
        return {"payment_id": payment_id, "status": outcome}


@blp.route("/payments")
class PaymentList(MethodView):
    @staff_only(*FINANCE_STAFF)
    @blp.arguments(PaymentQuery, location="query")
    @blp.response(200, PaymentPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Payments, newest first; `status=refund_due` lists what finance has to refund (finance)"""
        unit = uow()
        page = page_of(unit.session, refunds.payments_query(args.get("status"), args.get("reseller_id")), args["page"],
                       args["page_size"])
        return {**page, "items": [_with_refund(unit, row) for row in page["items"]]}


def _with_refund(unit: UnitOfWork, row: Any) -> dict[str, Any]:
    refund = refunds.refund_of(unit, row.id)
    return {**row._mapping, "refund": refund._mapping if refund else None}


@blp.route("/payments/<payment_id>/refund")
class PaymentRefund(MethodView):
    @idempotent
    @staff_only(*FINANCE_STAFF)
    @blp.arguments(RefundInput)
    @blp.response(201, PaymentRecord)
    def post(self, data: dict[str, Any], payment_id: str) -> dict[str, Any]:
        """Refund a payment marked refund_due: online through the provider, a bank transfer with its reference (finance)"""
        provider = current_context().extras["refund_provider"]
        return refunds.refund_payment(uow(), provider, payment_id, data["reason"], data.get("reference"))
