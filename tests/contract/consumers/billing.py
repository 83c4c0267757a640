"""billing's expectations: identity's organisations, of which it keeps the customer companies and their tree."""
from __future__ import annotations

from typing import Any

from services.billing.adapters.orm import companies
from tests.contract.consumers import MessageExpectation
from tests.contract.harness import Service
from tests.contract.matchers import nullable, one_of

COMPANY = {"org_id": "company-sh", "kind": one_of("tenant", "reseller", "dealer", "company", "platform", example="company"),
           "name": "ACME 上海", "parent_id": nullable("company-acme"), "status": one_of("active", "disabled")}


def company_kept(service: Service, body: dict[str, Any]) -> None:
    data = body["data"]
    assert service.count(companies, companies.c.id == data["org_id"], companies.c.parent_id == data["parent_id"]) == 1


EXPECTATIONS = [
    MessageExpectation(
        "billing", "identity.organisation.created.v1", "the customer company and its place in the tree",
        "a platform admin created a subsidiary company under a customer company", "company-sh", COMPANY, check=company_kept),
    MessageExpectation(
        "billing", "identity.organisation.updated.v1", "the customer company's new name or status",
        "a platform admin renamed a subsidiary company", "company-sh", COMPANY, check=company_kept),
]
