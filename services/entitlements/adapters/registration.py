"""Business-registration lookup (工商信息) behind one interface; offline fixture data by default.

A real provider (a commercial registry API) implements `RegistrationLookup` and is chosen in
bootstrap; the offline provider answers from `registration_fixture.json` and knows nothing else.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

FIXTURE = Path(__file__).with_name("registration_fixture.json")


@dataclass(frozen=True)
class Registration:
    registered_name: str
    legal_representative: str | None
    registered_address: str | None
    status: str | None
    established_on: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RegistrationLookup(Protocol):
    def find(self, tax_id: str) -> Registration | None: ...


class OfflineRegistrationLookup:
    """Registrations from a JSON file keyed by tax ID."""

    def __init__(self, path: Path = FIXTURE) -> None:
        records = json.loads(path.read_text(encoding="utf-8"))
        self._by_tax_id = {tax_id: Registration(**record) for tax_id, record in records.items()}

    def find(self, tax_id: str) -> Registration | None:
        return self._by_tax_id.get(tax_id)
