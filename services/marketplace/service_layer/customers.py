"""A reseller's end customers (我的客户), optionally linked to an entitlements tenant."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, or_, select, update

from services.marketplace.adapters.orm import customers, orders, organisations
from services.marketplace.service_layer.common import Channel, new_id, one_or_404, scoped
from shared.errors import Problem
from shared.uow import UnitOfWork


def _check_tenant(uow: UnitOfWork, data: dict[str, Any]) -> None:
    """A customer's `tenant_id` must name a tenant identity announced (the read model of organisations):
    a paid order's entitlements are delivered to it, and an unknown one would reach nobody."""
    tenant_id = data.get("tenant_id")
    if tenant_id is None:
        return
    known = uow.session.execute(select(organisations.c.org_id).where(
        organisations.c.org_id == tenant_id, organisations.c.kind == "tenant")).first()
    if known is None:
        raise Problem(422, "unknown_tenant", "no tenant with this id is known to the marketplace (a tenant created a moment "
                      "ago may take a few seconds to arrive)", errors={"tenant_id": ["unknown tenant"]})


def add_customer(uow: UnitOfWork, channel: Channel, data: dict[str, Any]) -> str:
    _check_tenant(uow, data)
    customer_id = new_id()
    now = uow.clock.now()
    uow.session.execute(customers.insert().values(
        id=customer_id, reseller_id=channel.reseller_id, dealer_org_id=channel.dealer_org_id,
        created_at=now, updated_at=now, **data))
    return customer_id


def customer_of(uow: UnitOfWork, channel: Channel, customer_id: str) -> Any:
    return one_or_404(uow.session, scoped(select(customers), customers, channel).where(customers.c.id == customer_id), "customer")


def edit_customer(uow: UnitOfWork, channel: Channel, customer_id: str, changes: dict[str, Any]) -> None:
    customer_of(uow, channel, customer_id)
    _check_tenant(uow, changes)
    uow.session.execute(update(customers).where(customers.c.id == customer_id).values(updated_at=uow.clock.now(), **changes))


def delete_customer(uow: UnitOfWork, channel: Channel, customer_id: str) -> None:
    customer_of(uow, channel, customer_id)
    if uow.session.execute(select(orders.c.id).where(orders.c.customer_id == customer_id).limit(1)).first():
        raise Problem(409, "customer_has_orders", "a customer with orders cannot be deleted")
    uow.session.execute(delete(customers).where(customers.c.id == customer_id))


def customers_query(channel: Channel, q: str | None) -> Select:
    query = scoped(select(customers), customers, channel)
    if q:
        pattern = q.strip()
        query = query.where(or_(*(column.contains(pattern, autoescape=True) for column in (
            customers.c.name, customers.c.company, customers.c.email, customers.c.phone))))
    return query.order_by(customers.c.created_at.desc(), customers.c.id)
