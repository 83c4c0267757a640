"""Enterprise API clients (ID-7): issued on an enterprise's first allocation, revealed once, rotated.

The secret is a 256-bit random string. Tokens are granted after comparing an HMAC-SHA256 digest of
it (fast: a slow password hash adds nothing against guessing 256 random bits and would cap the
token endpoint at a few dozen requests per second). Until the tenant admin reveals it, the secret is
also kept AES-GCM-encrypted; the reveal returns it once and erases that copy. The encrypt key is
always kept encrypted and is shown with each reveal.
"""
from __future__ import annotations

import secrets
import time
from typing import Any

from sqlalchemy import bindparam, select, update

from services.identity.adapters import reads
from services.identity.adapters.orm import api_clients
from services.identity.domain.tokens import client_claims
from services.identity.service_layer import service_clients
from services.identity.service_layer.kit import IdentityKit
from shared.auth import Principal
from shared.clock import isoformat
from shared.envelope import Event
from shared.errors import Problem, conflict, not_found
from shared.uow import UnitOfWork

ACTIVE = "active"


def _secret_context(client_id: str) -> str:
    return f"client:{client_id}"


def issue_for_first_allocations(uow: UnitOfWork, kit: IdentityKit, event: Event) -> None:
    """Consumer of entitlements.seats.allocated.v1: one API client per enterprise, issued once."""
    data = event.data
    for allocation in data.get("allocations", []):
        if not allocation.get("first_for_enterprise"):
            continue
        exists = uow.session.execute(
            select(api_clients.c.client_id).where(api_clients.c.enterprise_id == str(allocation["enterprise_id"]))
        ).first()
        if exists is None:
            _issue(uow, kit, data["tenant_id"], allocation, data.get("recipient"))


def _issue(uow: UnitOfWork, kit: IdentityKit, tenant_id: str, allocation: dict[str, Any], recipient: dict[str, Any] | None) -> None:
    client_id = "cli_" + secrets.token_hex(12)
    secret = secrets.token_urlsafe(32)
    uow.session.execute(
        api_clients.insert().values(
            client_id=client_id, tenant_id=tenant_id, enterprise_id=str(allocation["enterprise_id"]), tax_id=allocation["tax_id"],
            enterprise_name=allocation.get("enterprise_name"), status=ACTIVE,
            secret_hash=kit.digests.digest(secret, _secret_context(client_id)),
            secret_encrypted=kit.box.seal(secret.encode(), _secret_context(client_id)),
            encrypt_key_encrypted=kit.box.seal(secrets.token_hex(16).encode(), f"encrypt_key:{client_id}"),
            issued_at=uow.clock.now(),
        )
    )
    uow.emit(
        "identity.api_client.issued.v1",
        client_id,
        {
            "tenant_id": tenant_id, "enterprise_id": str(allocation["enterprise_id"]), "tax_id": allocation["tax_id"],
            "enterprise_name": allocation.get("enterprise_name"), "client_id": client_id, "recipient": recipient,
        },
        tenant_id=tenant_id,
    )
    uow.audit("api_client.issued", "api_client", client_id, {"tenant_id": tenant_id, "tax_id": allocation["tax_id"]})


RIGHTS_MOVED = "entitlements.rights.moved.v1"


def follow_moved_rights(uow: UnitOfWork, kit: IdentityKit, event: Event) -> None:
    """Consumer of entitlements.rights.moved.v1: the enterprise's API client follows its tax ID and tenant.

    - tax-ID replacement: the client keeps its id and secret (same enterprise, same tenant); its next
      tokens carry the new tax ID;
    - enterprise move: the client goes to the new tenant with a new secret (the old tenant knew the
      old one), unrevealed, so only the new tenant's admin can reveal it; the old secret is refused;
    - tenant merge: every client of the source tenant becomes the target's; secrets stay (one
      business's two accounts become one, its ERP integrations keep working).

    Tokens issued before carry the old `tax_id`/`org_id`; every service checks those claims against
    its own enterprise records, which follow the same event, so they no longer reach what moved.
    """
    data = event.data
    kind, enterprise_id = data["kind"], data.get("enterprise_id")
    if kind == "tax_id_replacement":
        query = update(api_clients).where(*_client_of(enterprise_id, data["from_tenant_id"], data["old_tax_id"]))
        changed = uow.session.execute(query.values(tax_id=data["new_tax_id"])).rowcount
    elif kind == "enterprise_move":
        changed = _move_client(uow, kit, _client_of(enterprise_id, data["from_tenant_id"], data["tax_id"]), data["to_tenant_id"])
    else:
        query = update(api_clients).where(api_clients.c.tenant_id == data["from_tenant_id"])
        changed = uow.session.execute(query.values(tenant_id=data["to_tenant_id"])).rowcount
    uow.audit("api_client.rights_followed", "change_request", str(data["change_request_id"]),
              {"kind": kind, "clients": changed, "from_tenant_id": data["from_tenant_id"], "to_tenant_id": data["to_tenant_id"]})


def _client_of(enterprise_id: str | None, tenant_id: str, tax_id: str | None) -> tuple[Any, ...]:
    if enterprise_id:
        return (api_clients.c.enterprise_id == str(enterprise_id),)
    return (api_clients.c.tenant_id == tenant_id, api_clients.c.tax_id == tax_id)


def _move_client(uow: UnitOfWork, kit: IdentityKit, where: tuple[Any, ...], to_tenant_id: str) -> int:
    row = uow.session.execute(select(api_clients.c.client_id).where(*where).with_for_update()).first()
    if row is None:
        return 0
    secret = secrets.token_urlsafe(32)
    uow.session.execute(
        update(api_clients).where(api_clients.c.client_id == row.client_id).values(
            tenant_id=to_tenant_id, secret_hash=kit.digests.digest(secret, _secret_context(row.client_id)),
            secret_encrypted=kit.box.seal(secret.encode(), _secret_context(row.client_id)),
            secret_rotated_at=uow.clock.now(), revealed_at=None,
        )
    )
    return 1


def client_view(row: Any) -> dict[str, Any]:
    return {
        "client_id": row.client_id,
        "tenant_id": row.tenant_id,
        "enterprise_id": row.enterprise_id,
        "tax_id": row.tax_id,
        "enterprise_name": row.enterprise_name,
        "status": row.status,
        "issued_at": isoformat(row.issued_at),
        "secret_rotated_at": isoformat(row.secret_rotated_at),
        "revealed": row.revealed_at is not None,
        "revealed_at": isoformat(row.revealed_at),
    }


def clients_query(principal: Principal, tenant_id: str | None, tax_id: str | None) -> Any:
    query = select(api_clients).order_by(api_clients.c.issued_at, api_clients.c.client_id)
    scope = tenant_id if principal.is_platform_staff else principal.org_id
    if scope:
        query = query.where(api_clients.c.tenant_id == scope)
    if tax_id:
        query = query.where(api_clients.c.tax_id == tax_id)
    return query


def _own_client(uow: UnitOfWork, principal: Principal, client_id: str) -> Any:
    row = uow.session.execute(select(api_clients).where(api_clients.c.client_id == client_id).with_for_update()).first()
    if row is None or row.tenant_id != principal.org_id:
        raise not_found("API client")
    return row


def reveal(uow: UnitOfWork, kit: IdentityKit, principal: Principal, client_id: str) -> dict[str, Any]:
    """The one-time view of the secret (and the encrypt key); a second reveal is 409 already_revealed."""
    row = _own_client(uow, principal, client_id)
    if row.revealed_at is not None or row.secret_encrypted is None:
        raise conflict("already_revealed", "the secret was shown once already; rotate it to get a new one")
    secret = kit.box.open(row.secret_encrypted, _secret_context(client_id)).decode()
    encrypt_key = kit.box.open(row.encrypt_key_encrypted, f"encrypt_key:{client_id}").decode()
    uow.session.execute(
        update(api_clients).where(api_clients.c.client_id == client_id).values(revealed_at=uow.clock.now(), secret_encrypted=None)
    )
    uow.audit("api_client.revealed", "api_client", client_id)
    return {"client_id": client_id, "client_secret": secret, "encrypt_key": encrypt_key, "tax_id": row.tax_id}


def rotate_secret(uow: UnitOfWork, kit: IdentityKit, principal: Principal, client_id: str) -> dict[str, Any]:
    """A new secret replaces the old one at once; it can be revealed once again."""
    _own_client(uow, principal, client_id)
    secret = secrets.token_urlsafe(32)
    uow.session.execute(
        update(api_clients)
        .where(api_clients.c.client_id == client_id)
        .values(
            secret_hash=kit.digests.digest(secret, _secret_context(client_id)),
            secret_encrypted=kit.box.seal(secret.encode(), _secret_context(client_id)),
            secret_rotated_at=uow.clock.now(),
            revealed_at=None,
        )
    )
    uow.audit("api_client.secret_rotated", "api_client", client_id)
    return client_view(uow.session.execute(select(api_clients).where(api_clients.c.client_id == client_id)).one())


# Built once: SQLAlchemy then computes its cache key once, not per token.
_CLIENT_FOR_TOKEN = select(api_clients.c.secret_hash, api_clients.c.status, api_clients.c.tenant_id, api_clients.c.tax_id).where(
    api_clients.c.client_id == bindparam("client_id")
)


def client_token(uow: UnitOfWork, kit: IdentityKit, client_id: str, client_secret: str) -> dict[str, Any]:
    """The client-credentials grant: a short-lived access token for one enterprise's tax ID, or for a
    service account of the suite when `client_id` names one.

    Nothing is written. The client is read in autocommit outside the request's
    transaction (one round trip, adapters/reads.py), so a disabled client or a rotated secret is
    refused from the next request on; the signing key comes from the ring's 10 s cache.
    """
    row = reads.first(kit.reads, _CLIENT_FOR_TOKEN, {"client_id": client_id})
    if row is None:
        granted = service_clients.service_token(uow, kit, client_id, client_secret)
        if granted is not None:
            return granted
    if row is None or row.status != ACTIVE or not kit.digests.matches(client_secret, row.secret_hash, _secret_context(client_id)):
        problem = Problem(401, "invalid_client", "unknown client or wrong secret", error="invalid_client")
        problem.headers["WWW-Authenticate"] = 'Basic realm="identity"'
        raise problem
    ttl = kit.settings.access_token_seconds
    claims = client_claims(client_id=client_id, tenant_id=row.tenant_id, tax_id=row.tax_id, issued_at=int(time.time()), ttl=ttl)
    return {"access_token": kit.keys.sign(None, claims), "token_type": "Bearer", "expires_in": ttl}
