"""Coupons issued by the platform to a reseller; claimed by one order at most, released on cancellation."""
from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, or_, select, update

from services.marketplace.adapters.orm import coupons, organisations
from services.marketplace.domain.coupons import BasketLine, CouponTerms, discount, refusal
from services.marketplace.service_layer.common import new_id
from shared.errors import Problem, not_found
from shared.uow import UnitOfWork

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def issue_coupon(uow: UnitOfWork, data: dict[str, Any]) -> str:
    kind = uow.session.execute(select(organisations.c.kind).where(organisations.c.org_id == data["reseller_id"])).scalar()
    if kind != "reseller":
        raise Problem(422, "unknown_reseller", "no reseller with this id", errors={"reseller_id": ["unknown reseller"]})
    if data.get("valid_from") and data.get("valid_to") and data["valid_to"] < data["valid_from"]:
        raise Problem(422, "validation_failed", "valid_to is before valid_from", errors={"valid_to": ["before valid_from"]})
    coupon_id = new_id()
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    uow.session.execute(coupons.insert().values(
        id=coupon_id, code=code, issued_by=uow.actor.id, created_at=uow.clock.now(), **data))
    uow.audit("coupon.issued", "coupon", coupon_id, {"reseller_id": data["reseller_id"], "amount_minor": data["amount_minor"]})
    return coupon_id


def terms_of(row: Any) -> CouponTerms:
    return CouponTerms(row.amount_minor, row.currency, row.min_amount_minor, row.min_quantity, tuple(row.solution_ids),
                       row.region, row.valid_from, row.valid_to)


def coupons_query(reseller_id: str | None, state: str | None, today: date) -> Select:
    query = select(coupons)
    if reseller_id is not None:
        query = query.where(coupons.c.reseller_id == reseller_id)
    not_expired = or_(coupons.c.valid_to.is_(None), coupons.c.valid_to >= today)
    if state == "used":
        query = query.where(coupons.c.order_id.is_not(None))
    elif state == "unused":
        query = query.where(coupons.c.order_id.is_(None), not_expired)
    elif state == "expired":
        query = query.where(and_(coupons.c.order_id.is_(None), coupons.c.valid_to < today))
    return query.order_by(coupons.c.created_at.desc(), coupons.c.id)


def claim_coupon(uow: UnitOfWork, reseller_id: str, code: str, order_id: str, lines: list[BasketLine], currency: str) -> tuple[str, int]:
    """Checks the rules and marks the coupon used by this order; a used coupon is 409 even under races."""
    row = uow.session.execute(select(coupons).where(coupons.c.code == code.strip().upper(), coupons.c.reseller_id == reseller_id)).first()
    if row is None:
        raise Problem(422, "coupon_not_found", "no such coupon for your organisation", errors={"coupon_code": ["unknown coupon"]})
    if row.order_id is not None:
        raise Problem(409, "coupon_already_used", "this coupon has already been used")
    terms = terms_of(row)
    reason = refusal(terms, lines, currency, uow.clock.today())
    if reason:
        raise Problem(422, reason, f"the coupon cannot be used on this order ({reason})", errors={"coupon_code": [reason]})
    result = uow.session.execute(update(coupons).where(coupons.c.id == row.id, coupons.c.order_id.is_(None)).values(
        order_id=order_id, used_at=uow.clock.now()))
    if result.rowcount != 1:
        raise Problem(409, "coupon_already_used", "this coupon has already been used")
    return row.id, discount(terms, lines)


def release_coupon(uow: UnitOfWork, order_id: str) -> None:
    uow.session.execute(update(coupons).where(coupons.c.order_id == order_id).values(order_id=None, used_at=None))


def coupon_of_reseller(uow: UnitOfWork, reseller_id: str, coupon_id: str) -> Any:
    row = uow.session.execute(select(coupons).where(coupons.c.id == coupon_id, coupons.c.reseller_id == reseller_id)).first()
    if row is None:
        raise not_found("coupon")
    return row
