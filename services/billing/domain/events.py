"""The event types billing publishes, each with its one-line purpose (the source of docs/events.md)."""
from __future__ import annotations

PUBLISHED: dict[str, str] = {
    "billing.order.paid.v1": (
        "An order was paid (subject: the order id); `kind`: `renewal`, `topup`, `value_added`; `method`: `balance`, "
        "`wechat`, `alipay`, `paypal`; `recipient`: the company's first notification email, null when notifications "
        "are off; `emails`: all of them."
    ),
    "billing.topup.approved.v1": (
        "Finance approved an offline top-up; the balance was credited (subject: the top-up id; `order_no`: the paid "
        "top-up order it shows as in the records, `reference`: the bank transfer's)."
    ),
    "billing.renewal.completed.v1": (
        "A renewal (ordered or automatic) extended devices or failed (subject: the order id, `auto-renew:<company>:<date>` "
        "when no order could be made); `error`: e.g. `insufficient_balance`; "
        "`order_id` and `order_no` (what people see) may be null when `ok` is false."
    ),
    "billing.device.expiring.v1": (
        "A company's devices expire soon (subject: the company id); sent 30, 7 and 1 days before expiry, each stage once."
    ),
}
