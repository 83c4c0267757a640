"""The payment page every online payment sends its payer to (`redirect_url`, shared/links.py).

`/portal/pay/<service>/<payment_id>` stands for the provider's checkout (WeChat Pay, Alipay, PayPal).
With the suite's sandbox provider it shows what the sandbox knows of the payment and posts the payer's
choice, 支付成功 or 支付失败, to `POST /<service>/v1/sandbox/pay/<id>`; the sandbox then sends its signed
notification to the service, which records the payment. Like a provider's page it needs no sign-in:
the payment id in the link is what names the payment, and the sandbox API is public the same way.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from web.auth import gateway
from web.forms import PaymentOutcomeForm
from web.gateway_client import ApiError
from web.messages import problem_message
from web.security import safe_next

bp = Blueprint("payments", __name__, url_prefix="/portal/pay")

SERVICES = ("billing", "marketplace")


@bp.route("/<service>/<payment_id>", methods=["GET", "POST"])
def pay(service: str, payment_id: str) -> Any:
    if service not in SERVICES or len(payment_id) > 64:
        abort(404)
    sandbox = f"/{service}/v1/sandbox/pay/{payment_id}"
    checkout: dict[str, Any] = {"payment_id": payment_id, "method": request.args.get("method")}
    form = PaymentOutcomeForm()
    result, error, status = None, None, 200
    try:
        if service == "billing":  # marketplace's sandbox has no read of the checkout
            checkout = gateway().json("GET", sandbox)
        if form.validate_on_submit():
            result = gateway().json("POST", sandbox, json={"outcome": form.outcome.data})
    except ApiError as exc:
        if exc.status >= 500:
            raise
        error, status = problem_message(exc), exc.status
    back = safe_next(request.args.get("back"))  # the page the payer came from (the order, the balance): a path of this app only
    return render_template("pages/pay.html", service=service, checkout=checkout, form=form, result=result, error=error,
                           back=back), status
