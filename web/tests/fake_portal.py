"""The fake gateway's answers for the dashboard (seed 000), tenant admins, licensing (seed 004) and
support staff — shaped as entitlements, identity and licensing answer (their schemas and codes)."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request

from web.tests.fake_gateway import TENANT, FakeState, page_of, problem

USCC = ("91330100716105852F", "9144030071526726XG")
STAFF_ROLES = {"support", "platform_admin"}


def portal_data(state: FakeState) -> dict[str, Any]:
    return state.extra.setdefault("portal", {
        "tenant": {"id": TENANT, "name": "苏州示例科技有限公司", "contact_email": "boss@tenant.test", "contact_phone": "13800000000",
                   "status": "active", "created_at": "2026-01-02T03:04:05Z"},
        "admins": [{"id": "u-1", "org_id": TENANT, "username": "admin@tenant.test", "email": "admin@tenant.test",
                    "phone": "13800000000", "name": "张三", "roles": ["tenant_admin"], "status": "active"}],
        "expiring": {"30": [{"line_id": "l-9", "order_id": "o-9", "order_no": "EO-SOON", "product_code": "FP-ISSUE",
                             "product_name": "发票云开票", "kind": "seat", "serial_number": "SN-SOON", "quantity": 3, "allocated": 1,
                             "valid_from": "2026-01-01", "valid_to": "2026-12-20", "days_left": 12}],
                     "60": [], "90": [], "expired": [{"line_id": "l-8", "order_id": "o-8", "order_no": "EO-OLD", "product_code": "OCR",
                                                      "product_name": "发票识别", "kind": "traffic", "serial_number": "SN-OLD",
                                                      "quantity": 100, "allocated": None, "valid_from": "2025-01-01",
                                                      "valid_to": "2025-12-31", "days_left": -342}]},
        "holders": {"l-9": [{"id": "a-9", "order_line_id": "l-9", "enterprise_id": "e-9", "enterprise_name": "杭州示例网络有限公司",
                             "tax_id": USCC[0], "product_code": "FP-ISSUE", "product_name": "发票云开票", "right_type": "invoice_issuing",
                             "serial_number": "SN-SOON", "valid_from": "2026-01-01", "valid_to": "2026-12-20",
                             "authorisation": {"client_id": "client-e-9", "issued_at": "2026-01-03T00:00:00Z"}}]},
        "ledger": [{"id": n, "product_code": "OCR", "tax_id": USCC[n % 2], "units": n, "reference": f"ref-{n}", "order_line_id": "l-8",
                    "used_at": f"2026-12-0{n}T08:00:00Z"} for n in range(1, 6)],
        "digital": None,
        "licenses": {
            "invoice_issuing": [
                {"tax_id": USCC[0], "name": "杭州示例网络有限公司", "authorization_status": "authorized",
                 "authorized_at": "2026-11-01T00:00:00Z", "authorized_by": "u-1", "sync_status": "failed",
                 "sync_pending": False, "sync_action": "authorize",
                 "sync_error": "no_remaining_entitlement", "valid_from": None, "valid_to": None, "cancelled_at": None,
                 "reauthorizable_on": None},
                {"tax_id": USCC[1], "name": "深圳示例技术有限公司", "authorization_status": "unauthorized", "authorized_at": None,
                 "authorized_by": None, "sync_status": "succeeded", "sync_pending": False, "sync_action": "cancel", "sync_error": None,
                 "valid_from": None, "valid_to": None, "cancelled_at": "2026-12-01T00:00:00Z", "reauthorizable_on": "2027-01-30"}],
            "invoice_receiving": []},
        "serials": {"invoice_issuing": "SN-ISSUE-1", "invoice_receiving": None},
        "tenants": [{"id": TENANT, "kind": "tenant", "name": "苏州示例科技有限公司", "status": "active",
                     "contact_email": "boss@tenant.test", "created_at": "2026-01-02T03:04:05Z"},
                    {"id": "t-2", "kind": "tenant", "name": "杭州另一家有限公司", "status": "active", "contact_email": None,
                     "created_at": "2026-02-02T03:04:05Z"}],
        "resent": [],
    })


def register_portal(app: Flask, state: FakeState, authorized: Any) -> None:
    data = portal_data(state)
    ent = state.extra["entitlements"]

    def caller(*roles: str) -> dict[str, Any] | Response:
        claims = authorized()
        if isinstance(claims, Response):
            return claims
        if not set(roles) & set(claims["roles"]):
            return problem(403, "forbidden", "not allowed")
        return claims

    # ---- entitlements: the dashboard and its drill-downs ----------------------------------------

    @app.get("/entitlements/v1/dashboard")
    def dashboard() -> Response:
        claims = caller("tenant_admin")
        if isinstance(claims, Response):
            return claims
        return jsonify({
            "tenant": {k: data["tenant"][k] for k in ("id", "name", "contact_email", "contact_phone", "status", "created_at")},
            "admins": [{"user_id": "u-1", "username": "admin@tenant.test"}],
            "unallocated_orders": {"total": 1, "items": [{"id": "o-9", "order_no": "EO-SOON", "tenant_id": TENANT, "source": "sales",
                                                          "status": "activated", "erp": "cosmic", "deployment": "public_cloud",
                                                          "activated_at": None, "created_at": "2026-01-01T00:00:00Z"}]},
            "expiring": {w: {"total": len(items), "items": items[:5]} for w, items in data["expiring"].items()},
            "products": [{"product_code": "FP-ISSUE", "product_name": "发票云开票", "right_type": "invoice_issuing", "quantity": 3,
                          "allocated": 1, "enterprises": {"total": 1, "items": data["holders"]["l-9"]}}],
            "traffic": [{"product_code": "OCR", "product_name": "发票识别", "category": "ocr", "deduction_rule": {"units_per_use": 1},
                         "balance": 85, "purchased": 100, "consumed": 15, "consumption": {"total": 0, "items": []}},
                        {"product_code": "SMS", "product_name": "短信", "category": "sms", "deduction_rule": {"units_per_use": 1},
                         "balance": 500, "purchased": 500, "consumed": 0, "consumption": {"total": 0, "items": []}}],
            "digital_invoice": data["digital"],
        })

    @app.get("/entitlements/v1/expiring-lines")
    def expiring_lines() -> Response:
        claims = caller("tenant_admin")
        if isinstance(claims, Response):
            return claims
        window = request.args.get("window", "30")
        if window not in data["expiring"]:
            return problem(422, "validation_failed", "bad", errors={"window": ["Must be one of: 30, 60, 90, expired."]})
        return jsonify(page_of(data["expiring"][window]))

    def ledger_rows() -> list[dict[str, Any]] | Response:
        errors = {}
        for name in ("from", "to"):
            value = request.args.get(name)
            if value and (len(value) != 10 or value[4] != "-"):
                errors[name] = ["Not a valid date."]
        if errors:
            return problem(422, "validation_failed", "bad", errors=errors)
        rows = data["ledger"]
        if request.args.get("product_code"):
            rows = [r for r in rows if r["product_code"] == request.args["product_code"]]
        if request.args.get("tax_id"):
            rows = [r for r in rows if r["tax_id"] == request.args["tax_id"]]
        if request.args.get("from"):
            rows = [r for r in rows if r["used_at"][:10] >= request.args["from"]]
        if request.args.get("to"):
            rows = [r for r in rows if r["used_at"][:10] <= request.args["to"]]
        return rows

    @app.get("/entitlements/v1/usage")
    def ledger() -> Response:
        claims = caller("tenant_admin")
        if isinstance(claims, Response):
            return claims
        rows = ledger_rows()
        return rows if isinstance(rows, Response) else jsonify(page_of(rows))

    @app.get("/entitlements/v1/usage/daily")
    def daily() -> Response:
        claims = caller("tenant_admin")
        if isinstance(claims, Response):
            return claims
        rows = ledger_rows()
        if isinstance(rows, Response):
            return rows
        return jsonify(page_of([{"day": r["used_at"][:10], "product_code": r["product_code"], "tax_id": r["tax_id"], "units": r["units"],
                                 "uses": 1} for r in rows]))

    @app.get("/entitlements/v1/usage/export")
    def export() -> Response:
        claims = caller("tenant_admin")
        if isinstance(claims, Response):
            return claims
        rows = ledger_rows()
        if isinstance(rows, Response):
            return rows
        if request.args.get("format", "csv") not in ("csv", "xlsx"):
            return problem(422, "validation_failed", "bad", errors={"format": ["Must be one of: csv, xlsx."]})
        text = "\ufeffused_at,product_code,tax_id,units\n" + "".join(f"{r['used_at']},{r['product_code']},{r['tax_id']},{r['units']}\n"
                                                                     for r in rows)
        response = Response(text.encode(), mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="usage.csv"'
        return response

    @app.post("/entitlements/v1/digital-invoice-info")
    def issue_digital() -> Response:
        claims = caller("tenant_admin")
        if isinstance(claims, Response):
            return claims
        if data["digital"] and not data["digital"]["expired"]:
            return problem(409, "digital_invoice_info_still_valid", "still valid")
        data["digital"] = {"activation_code": "SD-ACT-0001", "valid_from": "2026-12-07", "valid_to": "2027-12-06", "expired": False,
                           "issued_at": "2026-12-07T00:00:00Z", "qr_code_url": "/entitlements/v1/digital-invoice-info/qr.png"}
        return jsonify(data["digital"]), 201

    @app.post("/entitlements/v1/orders/<order_id>/resend-activation")
    def resend(order_id: str) -> Response:
        claims = caller(*STAFF_ROLES)
        if isinstance(claims, Response):
            return claims
        found = ent["orders"].get(order_id)
        if found is None:
            return problem(404, "not_found", "no such order")
        if found["status"] == "activated":
            return problem(409, "order_already_activated", "activated")
        data["resent"].append(order_id)
        return jsonify({k: v for k, v in found.items() if k not in ("lines", "operation_key")})

    @app.post("/entitlements/v1/change-requests/<request_id>/review")
    def review(request_id: str) -> Response:
        claims = caller(*STAFF_ROLES)
        if isinstance(claims, Response):
            return claims
        found = next((c for c in ent["changes"] if c["id"] == request_id), None)
        if found is None:
            return problem(404, "not_found", "no such request")
        if found["status"] != "pending":
            return problem(409, "change_request_already_reviewed", "reviewed")
        body = request.get_json()
        found.update(status="approved" if body["decision"] == "approve" else "rejected", review_comment=body.get("comment"))
        return jsonify(found)

    # ---- identity: the tenant, its admins; organisations for support ----------------------------

    def admin_of(user_id: str) -> dict[str, Any] | None:
        return next((a for a in data["admins"] if a["id"] == user_id), None)

    @app.get("/identity/v1/tenants/<tenant_id>")
    def tenant(tenant_id: str) -> Response:
        claims = authorized()
        if isinstance(claims, Response):
            return claims
        if tenant_id != TENANT or (claims["org_id"] != TENANT and not STAFF_ROLES & set(claims["roles"])):
            return problem(404, "not_found", "no such tenant")
        return jsonify({**data["tenant"], "admins": data["admins"]})

    @app.post("/identity/v1/users")
    def invite() -> Response:
        claims = caller("tenant_admin")
        if isinstance(claims, Response):
            return claims
        body = request.get_json()
        if any(a["username"] == body["email"] for a in data["admins"]):
            return problem(409, "username_taken", "exists", errors={"email": ["is already a username"]})
        user = {"id": f"u-{len(data['admins']) + 10}", "org_id": body["org_id"], "username": body["email"], "email": body["email"],
                "phone": body.get("phone"), "name": body.get("name"), "roles": body["roles"], "status": "invited"}
        data["admins"].append(user)
        return jsonify(user), 201

    @app.patch("/identity/v1/tenants/<tenant_id>/admins/<user_id>")
    def edit_admin(tenant_id: str, user_id: str) -> Response:
        claims = caller("tenant_admin")
        if isinstance(claims, Response):
            return claims
        found = admin_of(user_id)
        if found is None:
            return problem(404, "not_found", "no such admin")
        found.update({k: v for k, v in request.get_json().items() if k in ("email", "phone", "name")})
        return jsonify(found)

    @app.post("/identity/v1/tenants/<tenant_id>/admins/<user_id>/<action>")
    def admin_status(tenant_id: str, user_id: str, action: str) -> Response:
        claims = caller("tenant_admin")
        if isinstance(claims, Response):
            return claims
        found = admin_of(user_id)
        if found is None:
            return problem(404, "not_found", "no such admin")
        if action == "disable":
            if found["status"] == "active" and sum(1 for a in data["admins"] if a["status"] == "active") == 1:
                return problem(409, "last_admin", "the last enabled admin of an organisation cannot be disabled or deleted")
            found["status"] = "disabled"
        else:
            found["status"] = "active"
        return jsonify(found)

    @app.get("/identity/v1/organisations")
    def organisations() -> Response:
        claims = caller(*STAFF_ROLES)
        if isinstance(claims, Response):
            return claims
        q = request.args.get("q", "")
        return jsonify(page_of([t for t in data["tenants"] if request.args.get("kind") in (None, "tenant") and q in t["name"]]))

    # ---- licensing (seed 004) --------------------------------------------------------------------

    @app.get("/licensing/v1/service-groups")
    def groups() -> Response:
        claims = caller("tenant_admin")
        if isinstance(claims, Response):
            return claims
        aa = "licensed" if state.extra.get("licensing_issue19") else "total"
        return jsonify({"items": [{"service_group": g, "authorized": sum(1 for lic in items if lic["authorization_status"] == "authorized"),
                                   aa: 5, "serial_number": data["serials"][g], "serial_number_required": True}
                                  for g, items in data["licenses"].items()]})

    @app.get("/licensing/v1/enterprises")
    def licenses() -> Response:
        claims = caller("tenant_admin")
        if isinstance(claims, Response):
            return claims
        group = request.args.get("service_group")
        if group not in data["licenses"]:
            return problem(422, "validation_failed", "bad",
                           errors={"service_group": ["Must be one of: invoice_issuing, invoice_receiving."]})
        items = [lic for lic in data["licenses"][group]
                 if request.args.get("authorization_status") in (None, lic["authorization_status"])
                 and (request.args.get("q", "") in lic["tax_id"] or request.args.get("q", "") in lic["name"])]
        page = page_of(items)
        authorized = sum(1 for lic in data["licenses"][group] if lic["authorization_status"] == "authorized")
        if state.extra.get("licensing_issue19"):  # issue 19: AA is `licensed`, `total` the rows, the authorizer's name beside the id
            page["items"] = [{**lic, "authorized_by_name": "张三 (from the token)" if lic["authorized_by"] else None}
                             for lic in page["items"]]
            return jsonify({**page, "service_group": group, "authorized": authorized, "licensed": 5})
        return jsonify({**page, "service_group": group, "authorized": authorized, "total": 5, "items_total": len(items)})

    def batch(kind: str) -> Response:
        claims = caller("tenant_admin")
        if isinstance(claims, Response):
            return claims
        body = request.get_json()
        if body.get("service_group") not in data["licenses"] or not body.get("tax_ids"):
            return problem(422, "validation_failed", "bad", errors={"tax_ids": ["Shorter than minimum length 1."]})
        results = []
        for tax_id in body["tax_ids"]:
            lic = next((x for x in data["licenses"][body["service_group"]] if x["tax_id"] == tax_id), None)
            if lic is None:
                results.append({"tax_id": tax_id, "ok": False, "code": "enterprise_not_imported"})
            elif kind == "authorize" and lic["reauthorizable_on"]:
                results.append({"tax_id": tax_id, "ok": False, "code": "reauthorization_locked", "unlock_on": lic["reauthorizable_on"]})
            elif kind == "authorize" and lic["authorization_status"] == "authorized":
                results.append({"tax_id": tax_id, "ok": False, "code": "already_authorized"})
            elif kind == "authorize":
                lic.update(authorization_status="authorized", sync_pending=True, sync_status=None)
                results.append({"tax_id": tax_id, "ok": True, "code": "authorized"})
            elif kind == "cancel" and lic["authorization_status"] != "authorized":
                results.append({"tax_id": tax_id, "ok": False, "code": "not_authorized"})
            elif kind == "cancel":
                lic.update(authorization_status="unauthorized", reauthorizable_on="2027-02-05", cancelled_at="2026-12-07T00:00:00Z")
                results.append({"tax_id": tax_id, "ok": True, "code": "cancelled", "unlock_on": "2027-02-05"})
            else:
                results.append({"tax_id": tax_id, "ok": True, "code": "sync_requested"})
        return jsonify({"results": results})

    app.add_url_rule("/licensing/v1/authorizations", "authorizations", lambda: batch("authorize"), methods=["POST"])
    app.add_url_rule("/licensing/v1/cancellations", "cancellations", lambda: batch("cancel"), methods=["POST"])
    app.add_url_rule("/licensing/v1/syncs", "syncs", lambda: batch("sync"), methods=["POST"])

    @app.route("/licensing/v1/serial-numbers", methods=["GET", "PUT"])
    def serials() -> Response:
        claims = caller("tenant_admin")
        if isinstance(claims, Response):
            return claims
        if request.method == "PUT":
            body = request.get_json()
            if any(value and len(value) > 64 for value in body.values()):
                return problem(422, "validation_failed", "bad", errors={"invoice_issuing": ["Longer than maximum length 64."]})
            data["serials"].update(body)
        return jsonify(data["serials"])
