"""Billing's API in the fake gateway (web/tests/fake_gateway.py), answering as services/billing does."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request

from web.tests.fake_gateway import FakeState, page_of, problem

COMPANY = "c-1"
PRICE = 1000  # per month, CNY


def billing_data(state: FakeState) -> dict[str, Any]:
    return state.extra.setdefault("billing", {
        "devices": {f"D-{n}": {"device_id": f"D-{n}", "company_id": COMPANY, "type": "POS", "expires_on": "2026-11-01",
                                "status": "active", "expiry_state": "expired", "package_code": "P-MONTH"} for n in (1, 2, 3)},
        "orders": {}, "balances": {"CNY": 0}, "entries": [], "topups": {}, "payments": {}, "keys": {},
        "companies": [{"id": COMPANY, "name": "示例客户有限公司", "parent_id": None, "status": "active"}],
    })


def register_billing(app: Flask, state: FakeState) -> None:
    data = billing_data(state)

    def who() -> dict[str, Any] | Response:
        claims = state.caller()
        if claims is None or claims.get("expired"):
            return problem(401, "invalid_token", "no valid token")
        return claims

    def may(*roles: str) -> dict[str, Any] | Response:
        claims = who()
        if isinstance(claims, Response):
            return claims
        if not set(claims["roles"]) & {*roles, "platform_admin"}:
            return problem(403, "forbidden", "not your role")
        return claims

    @app.get("/billing/v1/devices")
    def billing_devices() -> Response:
        refused = may("customer", "sales", "support")
        if isinstance(refused, Response):
            return refused
        view = request.args.get("status")

        def shown(d: dict[str, Any]) -> bool:
            if view == "deactivated" or d["status"] == "deactivated":
                return view == d["status"] == "deactivated"
            return view in (None, d["expiry_state"]) or (view == "active" and d["expiry_state"] != "expired")

        return jsonify(page_of([d for d in data["devices"].values() if shown(d)]))

    @app.post("/billing/v1/devices/<action>")
    def billing_set_active(action: str) -> Response:
        refused = may("customer", "support")
        if isinstance(refused, Response):
            return refused
        ids = request.get_json()["device_ids"]
        if action not in ("deactivate", "reactivate") or any(i not in data["devices"] for i in ids):
            return problem(404, "not_found", "no such device")
        target = "deactivated" if action == "deactivate" else "active"
        changed = [i for i in ids if data["devices"][i]["status"] != target]
        for i in changed:
            data["devices"][i]["status"] = target
        return jsonify({"changed": changed, "unchanged": [i for i in ids if i not in changed]})

    @app.post("/billing/v1/renewal-orders")
    def billing_renewal() -> Response:
        refused = may("customer")
        if isinstance(refused, Response):
            return refused
        items = request.get_json()["items"]
        if any(i["device_id"] not in data["devices"] for i in items):
            return problem(422, "unknown_device", "unknown device")
        number = len(data["orders"]) + 1
        order = {"id": f"O-{number}", "order_no": f"RN2026120800{number}", "company_id": COMPANY, "kind": "renewal", "status": "draft",
                 "currency": "CNY", "method": None, "auto": False, "error": None, "created_at": "2026-12-08T01:00:00Z",
                 "confirmed_at": None, "paid_at": None, "payments": [],
                 "items": [{"device_id": i["device_id"], "package_code": "P-MONTH", "months": i["months"],
                            "amount_minor": PRICE * i["months"],
                            "expires_before": data["devices"][i["device_id"]]["expires_on"], "expires_after": None} for i in items]}
        order["amount_minor"] = sum(i["amount_minor"] for i in order["items"])
        data["orders"][order["id"]] = order
        return jsonify(order), 201

    @app.post("/billing/v1/renewal-orders/<order_id>/confirm")
    def billing_confirm(order_id: str) -> Response:
        order = data["orders"].get(order_id)
        if order is None:
            return problem(404, "not_found", "no such order")
        if order["status"] != "draft":
            return problem(409, "order_not_draft", "not a draft")
        order["status"] = "pending_payment"
        return jsonify(order)

    @app.get("/billing/v1/orders")
    def billing_orders() -> Response:
        refused = may("customer", "finance")
        if isinstance(refused, Response):
            return refused
        if request.args.get("company_id") not in (None, COMPANY):
            return problem(422, "unknown_company", "unknown company")
        for name in ("from", "to"):
            if request.args.get(name) and request.args[name] < "2000-01-01":
                return problem(422, "validation_failed", "bad", errors={name: ["Must be greater than or equal to 2000-01-01."]})
        found = [o for o in data["orders"].values()
                 if all(request.args.get(k) in (None, o.get(k)) for k in ("kind", "status", "method", "currency"))]
        state.extra["orders_query"] = dict(request.args)
        return jsonify(page_of(found))

    @app.get("/billing/v1/orders/export")
    def billing_export() -> Response:
        refused = may("customer", "finance")
        if isinstance(refused, Response):
            return refused
        state.extra["export_query"] = dict(request.args)
        return Response("\ufeff订单号,金额\r\n".encode(), mimetype="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="orders.csv"'})

    @app.get("/billing/v1/orders/<order_id>")
    def billing_order(order_id: str) -> Response:
        found = data["orders"].get(order_id)
        return jsonify(found) if found else problem(404, "not_found", "no such order")

    def settle(order: dict[str, Any], method: str) -> None:
        order.update(status="paid", method=method, paid_at="2026-12-08T01:05:00Z")
        for item in order["items"]:
            item["expires_after"] = "2027-12-08"
            data["devices"][item["device_id"]].update(expires_on="2027-12-08", expiry_state="ok")

    @app.post("/billing/v1/orders/<order_id>/payments")
    def billing_pay(order_id: str) -> Response:
        order = data["orders"].get(order_id)
        if order is None:
            return problem(404, "not_found", "no such order")
        key = request.headers.get("Idempotency-Key")
        if key in data["keys"]:
            return jsonify(data["keys"][key]), 201
        if order["status"] != "pending_payment":
            return problem(409, "order_not_payable", "not payable")
        method = request.get_json()["method"]
        if method == "paypal" and order["currency"] == "CNY":
            return problem(422, "method_not_available_for_currency", "paypal pays in USD only")
        if method == "balance":
            if data["balances"]["CNY"] < order["amount_minor"]:
                return problem(409, "insufficient_balance", "too little", balance_minor=data["balances"]["CNY"], currency="CNY")
            data["balances"]["CNY"] -= order["amount_minor"]
            settle(order, "balance")
            answer = {"order_id": order_id, "payment_id": "PM-B", "status": "succeeded", "order_status": "paid", "redirect_url": None}
        else:
            payment_id = f"PM-{len(data['payments']) + 1}"
            data["payments"][payment_id] = order_id
            answer = {"order_id": order_id, "payment_id": payment_id, "status": "pending", "order_status": "pending_payment",
                      "redirect_url": f"http://suite.test/portal/pay/billing/{payment_id}"}
        data["keys"][key] = answer
        return jsonify(answer), 201

    @app.get("/billing/v1/balance")
    def billing_balance() -> Response:
        return jsonify({"company_id": COMPANY, "balances": [{"currency": c, "amount_minor": a} for c, a in data["balances"].items()]})

    @app.get("/billing/v1/balance/entries")
    def billing_entries() -> Response:
        return jsonify(page_of(data["entries"]))

    @app.post("/billing/v1/topups")
    def billing_topup() -> Response:
        body = request.get_json()
        if body["method"] == "paypal" and body["currency"] == "CNY":
            return problem(422, "method_not_available_for_currency", "paypal pays in USD only")
        data.setdefault("online_topups", []).append(body)
        return jsonify({"order_id": "T-1", "payment_id": "PM-T", "status": "pending", "order_status": "pending_payment",
                        "redirect_url": "http://suite.test/portal/pay/billing/PM-T"}), 201

    @app.get("/billing/v1/companies")
    def billing_companies() -> Response:
        return jsonify(page_of(data["companies"]))

    @app.route("/billing/v1/offline-topups", methods=["GET", "POST"])
    def billing_offline_topups() -> Response:
        claims = may("sales", "finance")
        if isinstance(claims, Response):
            return claims
        if request.method == "GET":
            return jsonify(page_of([t for t in data["topups"].values() if request.args.get("status") in (None, t["status"])]))
        if "sales" not in claims["roles"] and "platform_admin" not in claims["roles"]:
            return problem(403, "forbidden", "sales only")
        body = request.get_json()
        if body["company_id"] not in {c["id"] for c in data["companies"]}:
            return problem(422, "unknown_company", "unknown", errors={"company_id": ["unknown company"]})
        topup = {"id": f"OT-{len(data['topups']) + 1}", **body, "status": "draft", "version": 1, "created_by": claims["sub"],
                 "review_comment": None, "version_reviewed": None,
                 "history": [{"at": "2026-12-08T01:00:00Z", "status": "draft", "comment": None}]}
        data["topups"][topup["id"]] = topup
        return jsonify(topup), 201

    @app.route("/billing/v1/offline-topups/<topup_id>", methods=["GET", "PATCH"])
    def billing_offline_topup(topup_id: str) -> Response:
        topup = data["topups"].get(topup_id)
        if topup is None:
            return problem(404, "not_found", "no such request")
        if request.method == "PATCH":
            if topup["status"] not in ("draft", "returned"):
                return problem(409, "topup_not_editable", "frozen")
            topup.update(request.get_json())
            topup["version"] += 1
        return jsonify(topup)

    @app.post("/billing/v1/offline-topups/<topup_id>/submit")
    def billing_submit(topup_id: str) -> Response:
        topup = data["topups"][topup_id]
        if topup["status"] not in ("draft", "returned"):
            return problem(409, "topup_not_submittable", "submitted")
        topup["status"] = "submitted"
        topup["history"].append({"at": "2026-12-08T01:01:00Z", "status": "submitted", "comment": None})
        return jsonify(topup)

    @app.post("/billing/v1/offline-topups/<topup_id>/review")
    def billing_review(topup_id: str) -> Response:
        claims = may("finance")
        if isinstance(claims, Response):
            return claims
        topup = data["topups"][topup_id]
        body = request.get_json()
        if topup["status"] != "submitted":
            return problem(409, "topup_not_reviewable", "reviewed")
        if body["version"] != topup["version"]:
            return problem(409, "topup_version_mismatch", "changed")
        if body["decision"] in ("return", "decline") and not body.get("comment"):
            return problem(422, "comment_required", "say why", errors={"comment": ["required"]})
        topup["status"] = {"approve": "approved", "return": "returned", "decline": "declined"}[body["decision"]]
        topup.update(review_comment=body.get("comment"), version_reviewed=body["version"])
        topup["history"].append({"at": "2026-12-08T01:02:00Z", "status": topup["status"], "comment": body.get("comment")})
        if topup["status"] == "approved":
            data["balances"][topup["currency"]] = data["balances"].get(topup["currency"], 0) + topup["amount_minor"]
        return jsonify(topup)

    @app.get("/billing/v1/devices/expiry-template")
    def billing_expiry_template() -> Response:
        refused = may("sales", "support")
        if isinstance(refused, Response):
            return refused
        return Response(b"PK-template", mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @app.post("/billing/v1/devices/expiry-imports")
    def billing_expiry_upload() -> Response:
        refused = may("sales", "support")
        if isinstance(refused, Response):
            return refused
        upload = request.files.get("file")
        if upload is None:
            return problem(422, "validation_failed", "no file", errors={"file": ["required"]})
        content = upload.read()
        if not content.startswith(b"PK"):
            return problem(422, "bad_template", "the first row must be device_id, expires_on", errors={"file": ["not the template"]})
        job = {"id": f"I-{len(data.setdefault('imports', {})) + 1}", "status": "running", "filename": upload.filename, "company_id": None,
               "scope": "all", "total_rows": 4, "processed_rows": 2, "applied_rows": 2, "rejected_rows": 0, "percent": 50.0,
               "error": None, "created_at": "2026-12-08T01:00:00Z", "finished_at": None, "rejections": [], "size": len(content)}
        data["imports"][job["id"]] = job
        return jsonify(job), 202

    @app.get("/billing/v1/devices/expiry-imports/<import_id>")
    def billing_expiry_import(import_id: str) -> Response:
        job = data.get("imports", {}).get(import_id)
        return jsonify(job) if job else problem(404, "not_found", "no such import")
