"""The event types entitlements publishes, each with its one-line purpose (the source of docs/events.md)."""
from __future__ import annotations

PUBLISHED: dict[str, str] = {
    "entitlements.order.delivered.v1": (
        "An order was delivered to a tenant, or its activation re-sent (subject: the order id); carries the operation key; "
        "`resent` is true when staff re-sent the activation with a new key (same order and lines again, so keep seat "
        "totals per order id); `source_ref` names the marketplace order a `marketplace` order came from."
    ),
    "entitlements.order.activated.v1": (
        "A tenant activated a delivered order with its operation key (subject: the order id); `source_ref` names the "
        "marketplace order a `marketplace` order came from (the marketplace then completes that order)."
    ),
    "entitlements.seats.allocated.v1": (
        "Seats of an order line were allocated to enterprises (subject: the order line id); `first_for_enterprise` marks "
        "an enterprise's first allocation."
    ),
    "entitlements.line.expiring.v1": (
        "An order line reaches a reminder threshold before its end (subject: the order line id); `enterprises` "
        "names the first 10 enterprises holding its seats, `enterprise_count` all of them."
    ),
    "entitlements.line.expired.v1": (
        "An order line ended (subject: the order line id); `enterprises`/`enterprise_count` as in the reminder."
    ),
    "entitlements.seat.granted.v1": (
        "Answer to licensing.license.authorized: a seat is held for the tax ID (subject: `<tenant>:<tax_id>:<group>`)."
    ),
    "entitlements.seat.refused.v1": (
        "Answer to licensing.license.authorized: no seat (subject: `<tenant>:<tax_id>:<group>`); `reason`: "
        "`no_remaining_entitlement`, `serial_number_required`, `unknown_serial_number`, `enterprise_of_other_tenant`."
    ),
    "entitlements.seat.released.v1": (
        "Answer to every licensing.license.cancelled (subject: `<tenant>:<tax_id>:<group>`); a repeated one is answered "
        "again without a second release; `order_line_id` is null when no seat was ever held."
    ),
    "entitlements.rights.moved.v1": (
        "An approved change request moved rights (subject: the change request id); `kind` `tax_id_replacement` / "
        "`enterprise_move` / `tenant_merge`; `enterprise_id` names the enterprise replaced or moved (null for a merge); "
        "`seat_lines` is the current state of every seat line whose tenant or quantity "
        "changed (a move: the shrunk lines and the new transfer lines; otherwise empty)."
    ),
}
