"""Scheduled clean-up of credentials that can no longer be used."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from services.identity.adapters.orm import refresh_tokens, sms_codes
from services.identity.service_layer import throttle
from shared.uow import UnitOfWork

KEEP_FOR = timedelta(days=7)


def purge_spent_credentials(uow: UnitOfWork) -> None:
    """Failed-login records older than a day, ended locks, SMS codes and refresh tokens a week past use."""
    now = uow.clock.now()
    throttle.purge(uow.session, now)
    uow.session.execute(delete(sms_codes).where(sms_codes.c.expires_at < now - KEEP_FOR))
    uow.session.execute(delete(refresh_tokens).where(refresh_tokens.c.expires_at < now - KEEP_FOR))
