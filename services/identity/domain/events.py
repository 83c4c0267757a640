"""The event types identity publishes, each with its one-line purpose (the source of docs/events.md)."""
from __future__ import annotations

PUBLISHED: dict[str, str] = {
    "identity.tenant.created.v1": (
        "A platform admin created a tenant and its first admin (subject: the tenant id); carries the initial password "
        "for the welcome mail."
    ),
    "identity.organisation.created.v1": (
        "An organisation (tenant, reseller, dealer, company) was created (subject: the org id); `external_ref` names its "
        "origin, e.g. `reseller_application:<id>`; `parent_id` is null for top-level organisations."
    ),
    "identity.organisation.updated.v1": (
        "An organisation's name, status or contacts changed (subject: the org id); same data as organisation.created."
    ),
    "identity.user.invited.v1": (
        "A user was invited into an organisation (subject: the user id); carries the activation link."
    ),
    "identity.user.already_registered.v1": (
        "An organisation's admin invited an address that already has an account in another organisation (subject: the "
        "existing user's id); nothing changed, the inviter was answered as for a new invitation, and the mail tells the "
        "address's holder."
    ),
    "identity.sms_code.requested.v1": (
        "A user asked for an SMS code, e.g. to change the password (subject: the user id); the phone is in `recipient`."
    ),
    "identity.api_client.issued.v1": (
        "An enterprise's API client was issued on its first seat allocation (subject: the client id); no secret: it is "
        "revealed once in the portal."
    ),
    "identity.user.updated.v1": (
        "A user's account changed (subject: the user id): `change` `activated` (invitation accepted), `updated` (name, "
        "phone, e-mail), `disabled`, `enabled`, `deleted`, `roles_changed` (admin transfer) or `signed_in`; the data is the "
        "user's current summary (`status` `invited`/`active`/`disabled`/`deleted`, `roles`, `last_login_at`); `as_of` orders "
        "the summaries of one user."
    ),
}
