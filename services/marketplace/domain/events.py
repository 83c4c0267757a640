"""The event types marketplace publishes, each with its one-line purpose (the source of docs/events.md)."""
from __future__ import annotations

PUBLISHED: dict[str, str] = {
    "marketplace.reseller.approved.v1": (
        "Platform staff approved a reseller application (subject: the application id); identity creates the reseller "
        "organisation (`external_ref`: `reseller_application:<id>`) and invites its admin."
    ),
    "marketplace.reseller.rejected.v1": (
        "Platform staff rejected a reseller application (subject: the application id); the applicant is mailed."
    ),
    "marketplace.order.paid.v1": (
        "A reseller's order was paid (subject: the order id); `entitlement_lines` are delivered to the customer's tenant; "
        "`recipient`: the reseller user who placed the order; `method`: `online`, `offline`, `credit`."
    ),
    "marketplace.credit.code_requested.v1": (
        "A reseller asked for the verification code that pays with the credit line (subject: the reseller id)."
    ),
    "marketplace.ticket.created.v1": (
        "A consultation ticket was opened (subject: the ticket id)."
    ),
    "marketplace.trial.requested.v1": (
        "A trial of a solution was requested (subject: the trial id)."
    ),
    "marketplace.credit.used_offline.v1": (
        "Finance recorded an offline use of a reseller's credit line (subject: the reseller id); the reseller is mailed."
    ),
    "marketplace.dealer.disabled.v1": (
        "A reseller admin disabled a dealer (subject: the dealer id); identity disables the dealer's organisation "
        "(`org_id`, null while none is linked): its users can no longer sign in and their refresh tokens die."
    ),
    "marketplace.dealer.enabled.v1": (
        "A reseller admin enabled a dealer again (subject: the dealer id); identity enables the dealer's organisation."
    ),
    "marketplace.payment.refunded.v1": (
        "Finance refunded a payment that was marked refund_due (a second successful payment of one order; subject: the "
        "payment id): `channel` `provider` (through the payment provider) or `bank_transfer`, `refund_ref` its reference; "
        "the reseller is mailed."
    ),
}
