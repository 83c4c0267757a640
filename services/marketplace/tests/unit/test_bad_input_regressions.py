"""Regressions found by schemathesis over the marketplace's OpenAPI (tests/security/test_bad_input.py)."""
from __future__ import annotations

import re

import pytest

from services.marketplace.tests.helpers import Marketplace

UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


@pytest.mark.parametrize("period", ["0000-01", "1999-12", "3000-01", "2026-13"])
def test_a_settlement_run_for_an_impossible_month_is_refused_without_effect(market: Marketplace, period: str) -> None:
    response = market.client.post("/marketplace/v1/settlements/runs", json={"period": period}, headers=market.staff("finance"))
    assert response.status_code == 422 and "period" in response.get_json()["errors"]
    listed = market.client.get("/marketplace/v1/settlements", headers=market.staff("finance"), query_string={"period": period})
    assert listed.status_code == 422


def test_times_are_served_as_utc_with_a_z_even_from_sqlite(market: Marketplace) -> None:
    me = market.reseller(market.known_reseller())
    customer = market.customer(me)
    solution = market.publish()
    assert UTC_TIME.match(customer["created_at"]) and UTC_TIME.match(customer["updated_at"])
    assert UTC_TIME.match(solution["created_at"])
