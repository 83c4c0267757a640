"""Consumer of marketplace.reseller.approved.v1: the reseller organisation and its invited admin."""
from __future__ import annotations

import logging

from services.identity.adapters import repository
from services.identity.domain.organisations import RESELLER
from services.identity.service_layer.kit import IdentityKit
from services.identity.service_layer.organisations import add_organisation
from services.identity.service_layer.users import add_invited_user
from shared.envelope import Event
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)


def create_approved_reseller(uow: UnitOfWork, kit: IdentityKit, event: Event) -> None:
    """Idempotent: the organisation is found by the application's external reference."""
    data = event.data
    ref = f"reseller_application:{data['application_id']}"
    if repository.organisation_by_ref(uow.session, ref) is not None:
        return
    org = add_organisation(
        uow, kind=RESELLER, name=data["company"], contact_email=data.get("email"), contact_phone=data.get("phone"), external_ref=ref
    )
    email = (data.get("email") or "").strip().lower()
    if not email or repository.username_taken(uow.session, email):
        log.warning("reseller admin not created: e-mail missing or already a username", extra={"fields": {"org_id": org.id}})
        uow.audit("reseller.admin_not_created", "organisation", org.id, {"reason": "email_missing_or_taken"})
        return
    fields = {"email": email, "phone": data.get("phone"), "name": data.get("contact_name")}
    add_invited_user(uow, kit, org, fields, ["reseller_admin"])
