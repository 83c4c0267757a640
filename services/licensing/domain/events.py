"""The event types licensing publishes, each with its one-line purpose (the source of docs/events.md)."""
from __future__ import annotations

PUBLISHED: dict[str, str] = {
    "licensing.license.authorized.v1": (
        "A tenant authorized (or re-synced) a tax ID for a service group in its ERP: asks entitlements for a seat "
        "(subject: `<tenant>:<tax_id>:<group>`)."
    ),
    "licensing.license.cancelled.v1": (
        "A tenant cancelled a tax ID's authorization: releases its seat (subject: `<tenant>:<tax_id>:<group>`)."
    ),
}
