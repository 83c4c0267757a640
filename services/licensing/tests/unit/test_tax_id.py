"""Licensing checks tax IDs with shared/tax_ids.py, as entitlements does, so the saga never carries one entitlements cannot take."""
from __future__ import annotations

import pytest

from services.licensing.tests.driver import tax_id
from shared.tax_ids import is_valid_tax_id


@pytest.mark.parametrize("value", [tax_id(1), "91110000100010433L", "11010880110001X", "11010880110001401", "11010519491231002X01"])
def test_accepted_tax_ids(value: str) -> None:
    assert is_valid_tax_id(value)


@pytest.mark.parametrize(
    "value",
    [
        tax_id(1)[:-1] + ("0" if tax_id(1)[-1] != "0" else "1"),  # wrong MOD 31 check character
        "91320500MA00000111",  # organisation code check character wrong
        "01320500MA0000015D",  # registration authority 0 does not exist
        "91320500MA000001I5",  # I is not a USCC character
        "110108801100015",  # legacy 15 with a wrong organisation code check
        "1101088011000140A",  # legacy 17 must be digits
        "11010519491231002101",  # legacy 20 with a wrong ID check character
        "1234",
    ],
)
def test_refused_tax_ids(value: str) -> None:
    assert not is_valid_tax_id(value)
