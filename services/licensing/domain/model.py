"""The ERP license of one enterprise in one service group, and the rules of seed 004.

A license is authorized, cancelled and synced with entitlements (the "rights platform"). Every sync
carries a fresh `request_id`; an answer counts only while its request is still the current one, so a
stale or redelivered answer never overwrites newer state. Nothing here knows about Flask or SQL.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

REAUTHORIZATION_LOCK = timedelta(days=60)


class LicenseType(enum.StrEnum):
    FORMAL = "formal"
    TEMPORARY = "temporary"
    NONE = "none"


class ServiceGroup(enum.StrEnum):
    INVOICE_ISSUING = "invoice_issuing"
    INVOICE_RECEIVING = "invoice_receiving"


class AuthorizationStatus(enum.StrEnum):
    UNAUTHORIZED = "unauthorized"
    AUTHORIZED = "authorized"
    FAILED = "failed"


class SyncStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class SyncAction(enum.StrEnum):
    AUTHORIZE = "authorize"
    CANCEL = "cancel"


SERIAL_NUMBER_REQUIRED = "serial_number_required"


def serial_number_required(license_type: LicenseType, idc: bool) -> bool:
    """The seed's table: only a formal license outside an IDC needs no product serial number."""
    return not (license_type is LicenseType.FORMAL and not idc)


def unlock_date(cancelled_at: datetime) -> date:
    """The first day a cancelled tax ID may be authorized again (60 days after the cancel date)."""
    return cancelled_at.date() + REAUTHORIZATION_LOCK


class LicenseRefused(Exception):
    """An operation the license's state does not allow; `code` is the per-tax-ID result code."""

    def __init__(self, code: str, unlock_on: date | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.unlock_on = unlock_on


@dataclass
class License:
    tenant_id: str
    tax_id: str
    service_group: ServiceGroup
    authorization_status: AuthorizationStatus = AuthorizationStatus.UNAUTHORIZED
    authorized_at: datetime | None = None
    authorized_by: str | None = None  # the person's user id (or the API client's id)
    authorized_by_name: str | None = None  # their name (or username) when the token names them
    sync_action: SyncAction | None = None
    sync_status: SyncStatus | None = None
    sync_error: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    cancelled_at: datetime | None = None
    request_id: str | None = None

    @property
    def is_authorized(self) -> bool:
        return self.authorization_status is AuthorizationStatus.AUTHORIZED

    @property
    def standing(self) -> int:
        """How much of a right the license records, to choose between two rows of one tax ID and group
        brought together by a change request: 2 authorized and not refused, 1 authorized but its sync
        failed (e.g. refused `enterprise_of_other_tenant`), 0 not authorized."""
        if not self.is_authorized:
            return 0
        return 1 if self.sync_status is SyncStatus.FAILED else 2

    def locked_until(self, today: date) -> date | None:
        """The unlock date while the 60-day re-authorization lock holds, else None."""
        if self.cancelled_at is None or self.is_authorized:
            return None
        unlock = unlock_date(self.cancelled_at)
        return unlock if today < unlock else None

    def authorize(self, by: str, now: datetime, request_id: str, by_name: str | None = None) -> None:
        if self.is_authorized:
            raise LicenseRefused("already_authorized")
        locked_until = self.locked_until(now.date())
        if locked_until is not None:
            raise LicenseRefused("reauthorization_locked", unlock_on=locked_until)
        self.authorization_status = AuthorizationStatus.AUTHORIZED
        self.authorized_at = now
        self.authorized_by = by
        self.authorized_by_name = by_name
        self._start_sync(SyncAction.AUTHORIZE, request_id)

    def cancel(self, now: datetime, request_id: str) -> None:
        if not self.is_authorized:
            raise LicenseRefused("not_authorized")
        self.authorization_status = AuthorizationStatus.UNAUTHORIZED
        self.authorized_at = None
        self.authorized_by = None
        self.authorized_by_name = None
        self.valid_from = None
        self.valid_to = None
        self.cancelled_at = now
        self._start_sync(SyncAction.CANCEL, request_id)

    def resend_authorization(self, request_id: str) -> None:
        """Manual "sync authorization": only for authorized enterprises."""
        if not self.is_authorized:
            raise LicenseRefused("not_authorized")
        self._start_sync(SyncAction.AUTHORIZE, request_id)

    def resend_cancellation(self, request_id: str) -> None:
        """Manual "sync cancellation": not for authorized enterprises, and only after a cancellation."""
        if self.is_authorized:
            raise LicenseRefused("still_authorized")
        if self.cancelled_at is None:
            raise LicenseRefused("not_cancelled")
        self._start_sync(SyncAction.CANCEL, request_id)

    def fail_sync(self, reason: str) -> None:
        """The sync could not even be sent (e.g. a required serial number is missing)."""
        self.sync_status = SyncStatus.FAILED
        self.sync_error = reason

    def record_grant(self, request_id: str, valid_from: date | None, valid_to: date | None) -> bool:
        if not self._answers(request_id, SyncAction.AUTHORIZE):
            return False
        self.sync_status = SyncStatus.SUCCEEDED
        self.sync_error = None
        self.valid_from = valid_from
        self.valid_to = valid_to
        return True

    def record_refusal(self, request_id: str, reason: str) -> bool:
        if not self._answers(request_id, SyncAction.AUTHORIZE):
            return False
        self.fail_sync(reason)
        return True

    def record_release(self, request_id: str) -> bool:
        if not self._answers(request_id, SyncAction.CANCEL):
            return False
        self.sync_status = SyncStatus.SUCCEEDED
        self.sync_error = None
        return True

    def can_use(self, today: date) -> bool:
        """Issue (or receive) invoices: authorized, synced, and within the validity entitlements gave."""
        if not self.is_authorized or self.sync_status is not SyncStatus.SUCCEEDED:
            return False
        if self.valid_from is not None and today < self.valid_from:
            return False
        return self.valid_to is None or today <= self.valid_to

    def _start_sync(self, action: SyncAction, request_id: str) -> None:
        self.sync_action = action
        self.sync_status = SyncStatus.PENDING
        self.sync_error = None
        self.request_id = request_id

    def _answers(self, request_id: str, action: SyncAction) -> bool:
        return self.request_id == request_id and self.sync_action is action
