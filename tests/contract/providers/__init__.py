"""The producers' side: provider states in business language, each driving the real producer code.

Each module `providers/<service>.py` holds `STATES = {state name: set-up(service)}`; a set-up drives the
service's app (Flask test client, tokens of the test key) or its worker's handlers and jobs until the
event the consumer expects sits in its outbox, written by the real serialiser. Drivers shared with the
consumers' `prepare` steps live beside the states.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.contract.harness import Service

State = Callable[[Service], None]


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.get_data(as_text=True)}"
    return response.get_json()


def all_states() -> dict[str, dict[str, State]]:
    from tests.contract.providers import billing, entitlements, identity, licensing, marketplace

    return {"identity": identity.STATES, "entitlements": entitlements.STATES, "licensing": licensing.STATES,
            "billing": billing.STATES, "marketplace": marketplace.STATES}
