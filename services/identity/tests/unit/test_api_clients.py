"""Enterprise API clients: issued on the first allocation, revealed once, rotated, and their tokens (ID-7)."""
from __future__ import annotations

import jwt
from sqlalchemy import select

from services.identity.adapters.orm import api_clients
from services.identity.service_layer.api_clients import issue_for_first_allocations
from services.identity.tests.flows import bearer
from shared.envelope import Event
from shared.uow import UnitOfWork

TAX_ID = "91320594MA1XXXXX0X"


def allocated(tenant_id: str, *allocations: dict) -> Event:
    return Event(
        type="entitlements.seats.allocated.v1",
        source="/services/entitlements",
        subject="line-1",
        data={
            "tenant_id": tenant_id, "order_line_id": "line-1", "product_code": "INV-ISSUE", "service_group": "invoice_issuing",
            "allocations": list(allocations), "recipient": {"email": "boss@tenant.test", "phone": None, "name": None, "language": None},
        },
    )


def allocation(enterprise_id: str, first: bool = True, tax_id: str = TAX_ID) -> dict:
    return {"enterprise_id": enterprise_id, "tax_id": tax_id, "enterprise_name": "苏州某某有限公司", "first_for_enterprise": first}


def handle(context, event: Event) -> None:
    with context.session_factory() as session:
        issue_for_first_allocations(UnitOfWork("identity", session, context.tables, context.clock), context.extras["kit"], event)
        session.commit()


def _issued_client(flows, client, context):
    tenant, boss = flows.activated_tenant()
    handle(context, allocated(tenant["id"], allocation("ent-1")))
    listed = client.get("/identity/v1/api-clients", headers=boss).json["items"]
    return tenant, boss, listed[0]["client_id"]


def test_the_first_allocation_issues_one_client_per_enterprise_and_announces_it(flows, client, context, outbox):
    tenant, boss = flows.activated_tenant()
    handle(context, allocated(tenant["id"], allocation("ent-1"), allocation("ent-2", first=False, tax_id="91110000000000000X")))
    handle(context, allocated(tenant["id"], allocation("ent-1")))
    items = client.get("/identity/v1/api-clients", headers=boss).json["items"]
    assert [(c["enterprise_id"], c["tax_id"], c["revealed"]) for c in items] == [("ent-1", TAX_ID, False)]
    issued = outbox("identity.api_client.issued.v1")
    assert len(issued) == 1 and issued[0]["client_id"] == items[0]["client_id"] and "client_secret" not in issued[0]
    assert issued[0]["recipient"]["email"] == "boss@tenant.test"


def test_the_secret_is_revealed_once(flows, client, context):
    _tenant, boss, client_id = _issued_client(flows, client, context)
    shown = client.post(f"/identity/v1/api-clients/{client_id}/reveal", headers=boss)
    assert shown.status_code == 200 and len(shown.json["client_secret"]) >= 43 and len(shown.json["encrypt_key"]) == 32
    again = client.post(f"/identity/v1/api-clients/{client_id}/reveal", headers=boss)
    assert again.status_code == 409 and again.json["code"] == "already_revealed"
    with context.session_factory() as session:
        row = session.execute(select(api_clients)).first()
    assert row.secret_encrypted is None and shown.json["client_secret"] not in (row.secret_hash, row.encrypt_key_encrypted)


def test_another_tenant_cannot_see_or_reveal_the_client(flows, client, context):
    _tenant, _boss, client_id = _issued_client(flows, client, context)
    _other, stranger = flows.activated_tenant(email="second@tenant.test", name="Other")
    assert client.post(f"/identity/v1/api-clients/{client_id}/reveal", headers=stranger).status_code == 404
    assert client.post(f"/identity/v1/api-clients/{client_id}/rotate-secret", headers=stranger).status_code == 404
    assert client.get("/identity/v1/api-clients", headers=stranger).json["items"] == []


def _token(client, **body):
    return client.post("/identity/v1/oauth/token", data=body)


def test_client_credentials_give_a_token_for_the_enterprise(flows, client, context):
    tenant, boss, client_id = _issued_client(flows, client, context)
    secret = client.post(f"/identity/v1/api-clients/{client_id}/reveal", headers=boss).json["client_secret"]
    granted = _token(client, grant_type="client_credentials", client_id=client_id, client_secret=secret)
    assert granted.status_code == 200 and granted.json["token_type"] == "Bearer" and granted.json["expires_in"] == 900
    claims = jwt.decode(granted.json["access_token"], options={"verify_signature": False})
    assert claims["kind"] == "client" and claims["roles"] == ["api_client"] and claims["tax_id"] == TAX_ID
    assert claims["org_id"] == tenant["id"] and claims["org_kind"] == "tenant" and claims["sub"] == client_id
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    as_json = client.post("/identity/v1/oauth/token", json=body)
    assert as_json.status_code == 200
    assert client.get("/identity/v1/me", headers=bearer(granted.json["access_token"])).status_code == 403


def test_wrong_credentials_and_grants_are_refused(flows, client, context):
    _tenant, _boss, client_id = _issued_client(flows, client, context)
    wrong = _token(client, grant_type="client_credentials", client_id=client_id, client_secret="guess")
    assert wrong.status_code == 401 and wrong.json["code"] == "invalid_client" and wrong.json["error"] == "invalid_client"
    assert _token(client, grant_type="client_credentials", client_id="cli_nope", client_secret="guess").status_code == 401
    assert _token(client, grant_type="password", client_id=client_id, client_secret="x").json["code"] == "unsupported_grant_type"
    assert _token(client, grant_type="client_credentials").status_code == 422
    assert client.post("/identity/v1/oauth/token", data="[1]", content_type="application/json").status_code == 400


def test_rotating_the_secret_retires_the_old_one_and_allows_one_more_reveal(flows, client, context):
    _tenant, boss, client_id = _issued_client(flows, client, context)
    old = client.post(f"/identity/v1/api-clients/{client_id}/reveal", headers=boss).json
    rotated = client.post(f"/identity/v1/api-clients/{client_id}/rotate-secret", headers=boss)
    assert rotated.status_code == 200 and rotated.json["revealed"] is False
    new = client.post(f"/identity/v1/api-clients/{client_id}/reveal", headers=boss).json
    assert new["client_secret"] != old["client_secret"] and new["encrypt_key"] == old["encrypt_key"]
    assert _token(client, grant_type="client_credentials", client_id=client_id, client_secret=old["client_secret"]).status_code == 401
    assert _token(client, grant_type="client_credentials", client_id=client_id, client_secret=new["client_secret"]).status_code == 200


def moved(kind: str, from_tenant: str, to_tenant: str, **extra) -> Event:
    data = {"change_request_id": "cr-1", "kind": kind, "enterprise_id": None, "from_tenant_id": from_tenant,
            "to_tenant_id": to_tenant, "tax_id": None, "old_tax_id": None, "new_tax_id": None, "seat_lines": [], **extra}
    return Event(type="entitlements.rights.moved.v1", source="/services/entitlements", subject="cr-1", data=data)


def follow(context, event: Event) -> None:
    from services.identity.service_layer.api_clients import follow_moved_rights

    with context.session_factory() as session:
        follow_moved_rights(UnitOfWork("identity", session, context.tables, context.clock), context.extras["kit"], event)
        session.commit()


def _claims(client, client_id: str, secret: str) -> dict:
    granted = _token(client, grant_type="client_credentials", client_id=client_id, client_secret=secret)
    assert granted.status_code == 200, granted.json
    return jwt.decode(granted.json["access_token"], options={"verify_signature": False})


def test_a_tax_id_replacement_gives_the_client_the_new_tax_id(flows, client, context):
    tenant, boss, client_id = _issued_client(flows, client, context)
    secret = client.post(f"/identity/v1/api-clients/{client_id}/reveal", headers=boss).json["client_secret"]
    follow(context, moved("tax_id_replacement", tenant["id"], tenant["id"], enterprise_id="ent-1", tax_id="91110000000000000X",
                          old_tax_id=TAX_ID, new_tax_id="91110000000000000X"))
    assert _claims(client, client_id, secret)["tax_id"] == "91110000000000000X"
    [listed] = client.get("/identity/v1/api-clients", headers=boss).json["items"]
    assert listed["tax_id"] == "91110000000000000X"


def test_an_enterprise_move_hands_the_client_to_the_new_tenant_with_a_new_secret(flows, client, context):
    tenant, boss, client_id = _issued_client(flows, client, context)
    old_secret = client.post(f"/identity/v1/api-clients/{client_id}/reveal", headers=boss).json["client_secret"]
    other, new_boss = flows.activated_tenant(email="second@tenant.test", name="Other")
    follow(context, moved("enterprise_move", tenant["id"], other["id"], enterprise_id="ent-1", tax_id=TAX_ID))
    assert client.post(f"/identity/v1/api-clients/{client_id}/reveal", headers=boss).status_code == 404
    assert client.post(f"/identity/v1/api-clients/{client_id}/rotate-secret", headers=boss).status_code == 404
    assert client.get("/identity/v1/api-clients", headers=boss).json["items"] == []
    assert _token(client, grant_type="client_credentials", client_id=client_id, client_secret=old_secret).status_code == 401
    new_secret = client.post(f"/identity/v1/api-clients/{client_id}/reveal", headers=new_boss).json["client_secret"]
    assert _claims(client, client_id, new_secret)["org_id"] == other["id"]
    with context.session_factory() as session:
        audit = session.execute(select(context.tables.audit_log)).all()
    assert any(row.action == "api_client.rights_followed" for row in audit)


def test_a_tenant_merge_hands_every_client_to_the_target_and_keeps_the_secrets(flows, client, context):
    tenant, boss, client_id = _issued_client(flows, client, context)
    secret = client.post(f"/identity/v1/api-clients/{client_id}/reveal", headers=boss).json["client_secret"]
    other, new_boss = flows.activated_tenant(email="second@tenant.test", name="Other")
    follow(context, moved("tenant_merge", tenant["id"], other["id"]))
    assert [c["client_id"] for c in client.get("/identity/v1/api-clients", headers=new_boss).json["items"]] == [client_id]
    assert client.get("/identity/v1/api-clients", headers=boss).json["items"] == []
    assert _claims(client, client_id, secret)["org_id"] == other["id"]
