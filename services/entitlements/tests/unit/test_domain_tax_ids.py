"""Tax-ID validation: real published unified social credit codes pass, crafted bad ones fail with a reason."""
from __future__ import annotations

import pytest

from shared.settings import repo_root
from shared.tax_ids import (
    USCC_CHARSET,
    InvalidTaxId,
    organisation_code_check_character,
    parse_tax_id,
    resident_id_check_character,
    uscc_check_character,
)

# The steering repository's shared/ sits beside this checkout (in CI too); PUBLISHED is its content today.
SAMPLES = repo_root().parent / "shared" / "data" / "uscc-samples.txt"
PUBLISHED = ["91330100716105852F", "9144030071526726XG", "91110000802100433B"]


def published_codes() -> list[str]:
    if SAMPLES.exists():
        return [line.strip() for line in SAMPLES.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return PUBLISHED


@pytest.mark.parametrize("code", published_codes())
def test_real_published_codes_are_accepted(code):
    assert parse_tax_id(code).value == code
    assert parse_tax_id(code).form == "uscc"


def test_input_is_trimmed_and_upper_cased():
    assert parse_tax_id(" 9144030071526726xg ").value == "9144030071526726XG"


@pytest.mark.parametrize("code", PUBLISHED)
def test_every_other_check_character_is_rejected(code):
    for wrong in USCC_CHARSET.replace(code[17], ""):
        with pytest.raises(InvalidTaxId, match="GB 32100"):
            parse_tax_id(code[:17] + wrong)


def test_a_changed_character_breaks_the_check():
    with pytest.raises(InvalidTaxId):
        parse_tax_id("91330100716105853F")


def test_organisation_code_inside_the_uscc_is_checked_even_when_the_last_character_fits():
    # Damage the organisation code's check character (position 17) and recompute the USCC check so
    # that only GB 11714 can notice.
    first17 = "9133010071610585" + "3"
    crafted = first17 + uscc_check_character(first17)
    with pytest.raises(InvalidTaxId, match="GB 11714"):
        parse_tax_id(crafted)


@pytest.mark.parametrize("code,reason", [
    ("9133010071610585", "18 characters"),
    ("9133010071610585IF", "capital letters other than"),
    ("Z1330100716105852F", "capital letters other than"),
    ("B1330100716105852F", "registration authority"),
    ("9133A100716105852F", "administrative division"),
    ("", "18 characters"),
])
def test_malformed_codes_say_what_is_wrong(code, reason):
    with pytest.raises(InvalidTaxId, match=reason):
        parse_tax_id(code)


def test_known_check_characters():
    assert organisation_code_check_character("71610585") == "2"
    assert organisation_code_check_character("71526726") == "X"
    assert uscc_check_character("91330100716105852") == "F"


def test_legacy_15_character_tax_registration_number():
    assert parse_tax_id("330100716105852").form == "legacy_15"
    with pytest.raises(InvalidTaxId, match="GB 11714"):
        parse_tax_id("330100716105853")


def test_legacy_20_character_id_number_with_sequence():
    first17 = "11010519491231002"
    code = first17 + resident_id_check_character(first17) + "01"
    assert parse_tax_id(code).form == "legacy_20"
    wrong = "0" if code[17] != "0" else "1"
    with pytest.raises(InvalidTaxId, match="GB 11643"):
        parse_tax_id(first17 + wrong + "01")


def test_legacy_17_digit_id_number_with_sequence():
    assert parse_tax_id("11010549123100201").form == "legacy_17"
    with pytest.raises(InvalidTaxId):
        parse_tax_id("1101054912310020A")
