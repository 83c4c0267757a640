"""The API's refusals in words, in the page's language (WEB-3): codes and field messages never reach a user raw.

`problem_message(error)` is the sentence for a refusal's `code`; `field_messages(error)` maps each field
the API named in `errors` to sentences. A code or field message not known here still shows in words:
the generic sentence for its status, then the API's own detail.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.gateway_client import ApiError


def _wait(error: ApiError) -> dict[str, Any]:
    seconds = error.retry_after or int(error.extra.get("retry_after") or 60)
    return {"seconds": seconds, "minutes": max(1, math.ceil(seconds / 60))}


# code -> a function of the error giving the sentence
_BY_CODE: dict[str, Callable[[ApiError], str]] = {
    "invalid_credentials": lambda e: _("The account or password is wrong."),
    "too_many_attempts": lambda e: _("Too many failed sign-ins. Try again in %(minutes)s minutes.", **_wait(e)),
    "account_disabled": lambda e: _("This account is disabled. Ask your tenant's administrator to enable it."),
    "rate_limited": lambda e: _("Too many requests. Try again in %(seconds)s seconds.", **_wait(e)),
    "invalid_old_password": lambda e: _("The current password is wrong."),
    "invalid_sms_code": lambda e: _("The verification code is wrong or has expired. Get a new one."),
    "sms_code_rate_limited": lambda e: _("A code was sent a moment ago. You can ask for another in %(seconds)s seconds.", **_wait(e)),
    "invitation_invalid": lambda e: _("This activation link is unknown, used or expired. Ask your administrator for a new invitation."),
    "password_change_required": lambda e: _("Change your initial password first."),
    "invalid_operation_key": lambda e: _("This operation key is not valid. Copy it again from the activation mail."),
    "operation_key_used": lambda e: _("This operation key was already used."),
    "operation_key_replaced": lambda e: _("A newer operation key was sent for this order. Use the one in the latest mail."),
    "order_already_activated": lambda e: _("This order is already activated."),
    "order_not_activated": lambda e: _("Activate the order with its operation key first."),
    "enterprise_bound_to_other_tenant": lambda e: _(
        "Enterprise %(tax_id)s already belongs to tenant %(tenant)s; an enterprise can belong to one tenant only. "
        "To move it to your tenant, submit a change request (move or merge).",
        tax_id=e.extra.get("tax_id", ""), tenant=e.extra.get("tenant_name") or e.extra.get("masked_tenant_name") or "***"),
    "enterprise_exists": lambda e: _("This enterprise is already added."),
    "enterprise_already_in_tenant": lambda e: _("This enterprise already belongs to your tenant."),
    "invalid_tax_id": lambda e: _("This tax ID is not valid: check its length and its last (check) character."),
    "quantity_exceeded": lambda e: _("Only %(remaining)s seats of this product are left.", remaining=e.extra.get("remaining", 0)),
    "already_allocated": lambda e: _("Some of the chosen enterprises already hold a seat of this product."),
    "line_expired": lambda e: _("This product's validity has ended; it can no longer be allocated."),
    "not_a_seat_line": lambda e: _("Only seat products are allocated to enterprises."),
    "already_revealed": lambda e: _("These credentials were already shown once. Rotate the secret to get a new one."),
    "tax_id_in_use": lambda e: _("The new tax ID already belongs to an enterprise."),
    "change_request_already_reviewed": lambda e: _("This change request has already been reviewed."),
    "last_admin": lambda e: _("This is the last enabled administrator: a tenant always keeps one who can sign in. "
                              "Add or enable another administrator first."),
    "username_taken": lambda e: _("An account with this e-mail already exists."),
    "digital_invoice_info_still_valid": lambda e: _("The current 数电 information is still valid; it can be updated once it expires."),
    "erp_instance_not_found": lambda e: _("Your ERP instance is not set up yet: its license type is set when the ERP connects."),
    "forbidden": lambda e: _("Your role does not allow this."),
    "unavailable": lambda e: _("The service cannot be reached right now. Try again in a moment."),
    "bad_gateway": lambda e: _("The service cannot be reached right now. Try again in a moment."),
    "gateway_timeout": lambda e: _("The service did not answer in time. Try again in a moment."),
    "try_again": lambda e: _("The change could not be saved just now. Try again."),
}

_BY_STATUS: dict[int, Any] = {
    400: _l("The request was not understood."),
    403: _l("Your role does not allow this."),
    404: _l("Not found, or not yours to see."),
    409: _l("This conflicts with the current state; reload the page and try again."),
    422: _l("Some fields need correcting."),
    429: _l("Too many requests. Try again in a moment."),
}

# The API's English field messages (marshmallow's and the services' own) -> words in the page's language.
_FIELD_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"must have at least (\d+) characters"), lambda m: _("At least %(n)s characters.", n=m.group(1))),
    (re.compile(r"must have at most (\d+) characters"), lambda m: _("At most %(n)s characters.", n=m.group(1))),
    (re.compile(r"must mix at least three"), lambda m: _("Mix at least three of: lower case, upper case, digits, other characters.")),
    (re.compile(r"must not contain the username"), lambda m: _("Must not contain the account name.")),
    (re.compile(r"Missing data for required field|required"), lambda m: _("Required.")),
    (re.compile(r"check character", re.I), lambda m: _("The check character (the last one) does not match: the tax ID is mistyped.")),
    (re.compile(r"tax id|length", re.I), lambda m: _("Not a valid tax ID (18 characters, or a legacy 15, 17 or 20).")),
    (re.compile(r"no enterprise has this tax ID"), lambda m: _("No enterprise has this tax ID.")),
    (re.compile(r"unknown tenant"), lambda m: _("No such tenant.")),
    (re.compile(r"is wrong or expired"), lambda m: _("Wrong or expired code.")),
    (re.compile(r"is wrong"), lambda m: _("Wrong.")),
    (re.compile(r"unknown key"), lambda m: _("Unknown key.")),
    (re.compile(r"already used"), lambda m: _("Already used.")),
    (re.compile(r"is already a username"), lambda m: _("An account with this e-mail already exists.")),
    (re.compile(r"not a phone number"), lambda m: _("A phone number: digits, with an optional leading +.")),
    (re.compile(r"Not a valid"), lambda m: _("Not a valid value.")),
]


def problem_message(error: ApiError) -> str:
    known = _BY_CODE.get(error.code)
    if known:
        return known(error)
    generic = _BY_STATUS.get(error.status) or _("Something went wrong (%(status)s).", status=error.status)
    return str(generic)


def field_message(text: str) -> str:
    for pattern, words in _FIELD_PATTERNS:
        match = pattern.search(text)
        if match:
            return words(match)
    return text


def field_messages(error: ApiError) -> dict[str, list[str]]:
    return {name: [field_message(m) for m in messages] for name, messages in error.errors.items()}


def apply_to_form(form: Any, error: ApiError, fields: dict[str, str] | None = None) -> str:
    """Put the API's field errors on the form's fields (`fields` maps API names to form names);
    answers the sentence for the whole form."""
    names = fields or {}
    for api_name, messages in field_messages(error).items():
        field = getattr(form, names.get(api_name, api_name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), *messages]
    return problem_message(error)


def register_codes(codes: dict[str, Callable[[ApiError], str]]) -> None:
    """More codes in words, from a page module of another service (web/pages/billing.py)."""
    _BY_CODE.update(codes)
