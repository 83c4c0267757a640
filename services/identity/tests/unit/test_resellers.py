"""An approved reseller application becomes a reseller organisation with an invited admin (MKT-1, ID-5)."""
from __future__ import annotations

from sqlalchemy import func, select

from services.identity.adapters.orm import organisations, users
from services.identity.entrypoints.worker import handlers
from shared.envelope import Event
from shared.uow import UnitOfWork


def approved(application_id: str = "app-7", email: str = "Owner@Reseller.test") -> Event:
    return Event(
        type="marketplace.reseller.approved.v1",
        source="/services/marketplace",
        subject=application_id,
        data={"application_id": application_id, "company": "云伙伴科技", "contact_name": "王五", "email": email,
              "phone": "13500000000", "position": "CEO", "tier": "registered"},
    )


def deliver(context, event: Event) -> None:
    with context.session_factory() as session:
        handlers(context.extras["kit"])[event.type](UnitOfWork("identity", session, context.tables, context.clock), event)
        session.commit()


def test_the_reseller_and_its_admin_are_created_and_invited(app, context, outbox, flows):
    deliver(context, approved())
    org = outbox("identity.organisation.created.v1")[-1]
    assert org["kind"] == "reseller" and org["external_ref"] == "reseller_application:app-7" and org["name"] == "云伙伴科技"
    invited = outbox("identity.user.invited.v1")[-1]
    assert invited["org_id"] == org["org_id"] and invited["roles"] == ["reseller_admin"] and invited["email"] == "owner@reseller.test"
    assert flows.accept("owner@reseller.test").status_code == 200
    assert flows.login("owner@reseller.test", "Fresh-Passw0rd-2026").status_code == 200


def test_a_redelivered_approval_changes_nothing(app, context, outbox):
    deliver(context, approved())
    deliver(context, approved())
    with context.session_factory() as session:
        assert session.execute(select(func.count()).select_from(organisations).where(organisations.c.kind == "reseller")).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(users).where(users.c.username == "owner@reseller.test")).scalar_one() == 1
    assert len(outbox("identity.user.invited.v1")) == 1


def test_an_applicant_whose_e_mail_is_taken_gets_the_organisation_without_an_admin(app, context, outbox):
    deliver(context, approved("app-1", "same@reseller.test"))
    deliver(context, approved("app-2", "same@reseller.test"))
    assert len(outbox("identity.organisation.created.v1")) == 2
    assert len(outbox("identity.user.invited.v1")) == 1
