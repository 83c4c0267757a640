"""Validation of Chinese taxpayer identification numbers (纳税人识别号), the key every service files enterprises under.

This is the format of a national identifier, fixed by the standards below, not a rule of ours. The
services that file enterprises by tax ID (entitlements, licensing) check them here, once, so that a tax
ID one accepts is never one the other refuses (the license saga carries them from one to the other).

Accepted forms:

- 18 characters: the unified social credit code (统一社会信用代码, GB 32100-2015). Characters come from
  `0-9A-Z` without I, O, S, V, Z; character 1 is the registration authority (1-9, A, N, Y), character 2
  the organisation type, characters 3-8 the administrative division (digits), characters 9-17 the
  organisation code (GB 11714) with its own MOD 11 check character, character 18 the MOD 31 check.
- 15 characters (legacy tax registration number): a 6-digit administrative division followed by the
  9-character organisation code with its GB 11714 check character.
- 17 characters (legacy, individual businesses): a 15-digit first-generation resident ID number
  followed by a 2-digit sequence; digits only (that ID number has no check digit).
- 20 characters (legacy, individual businesses): an 18-character resident ID number (GB 11643, ISO
  7064 MOD 11-2 check character) followed by a 2-digit sequence.

Input is trimmed and upper-cased before it is checked; the normalised form is what is stored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_REGISTRATION_AUTHORITIES = set("123456789ANY")
_ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
_RESIDENT_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_RESIDENT_ID_CHECKS = "10X98765432"

_ORG_CODE_RE = re.compile(r"^[0-9A-Z]{8}[0-9X]$")
_DIVISION_RE = re.compile(r"^[0-9]{6}$")


class InvalidTaxId(ValueError):
    """The text is not a tax ID of an accepted form; the message says why."""


@dataclass(frozen=True)
class TaxId:
    value: str
    form: str  # "uscc", "legacy_15", "legacy_17", "legacy_20"

    def __str__(self) -> str:
        return self.value


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_CHARSET.index(char) * weight for char, weight in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def organisation_code_check_character(body8: str) -> str:
    total = sum(_code_value(char) * weight for char, weight in zip(body8, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def resident_id_check_character(first17: str) -> str:
    total = sum(int(char) * weight for char, weight in zip(first17, _RESIDENT_ID_WEIGHTS, strict=True))
    return _RESIDENT_ID_CHECKS[total % 11]


def _code_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def _check_organisation_code(code: str) -> None:
    if not _ORG_CODE_RE.match(code):
        raise InvalidTaxId("the organisation code must be 8 digits or capital letters and a check character")
    if organisation_code_check_character(code[:8]) != code[8]:
        raise InvalidTaxId("the organisation code's check character (GB 11714) is wrong")


def _check_uscc(value: str) -> None:
    if any(char not in USCC_CHARSET for char in value):
        raise InvalidTaxId("a unified social credit code uses only 0-9 and capital letters other than I, O, S, V, Z")
    if value[0] not in _REGISTRATION_AUTHORITIES:
        raise InvalidTaxId("the registration authority code (character 1) is not valid")
    if not _DIVISION_RE.match(value[2:8]):
        raise InvalidTaxId("the administrative division code (characters 3-8) must be digits")
    _check_organisation_code(value[8:17])
    if uscc_check_character(value[:17]) != value[17]:
        raise InvalidTaxId("the check character (GB 32100-2015) is wrong")


def _check_legacy_15(value: str) -> None:
    if not _DIVISION_RE.match(value[:6]):
        raise InvalidTaxId("a 15-character tax ID starts with a 6-digit administrative division code")
    _check_organisation_code(value[6:])


def _check_legacy_17(value: str) -> None:
    if not value.isdigit():
        raise InvalidTaxId("a 17-character tax ID is a 15-digit ID number and a 2-digit sequence")


def _check_legacy_20(value: str) -> None:
    if not (value[:17].isdigit() and value[18:].isdigit() and (value[17].isdigit() or value[17] == "X")):
        raise InvalidTaxId("a 20-character tax ID is an 18-character ID number and a 2-digit sequence")
    if resident_id_check_character(value[:17]) != value[17]:
        raise InvalidTaxId("the ID number's check character (GB 11643) is wrong")


_FORMS = {18: ("uscc", _check_uscc), 15: ("legacy_15", _check_legacy_15), 17: ("legacy_17", _check_legacy_17),
          20: ("legacy_20", _check_legacy_20)}


def is_valid_tax_id(text: str) -> bool:
    """Whether `text`, exactly as given (already trimmed and upper-cased), is a tax ID of an accepted form."""
    try:
        return parse_tax_id(text).value == text
    except InvalidTaxId:
        return False


def parse_tax_id(text: str) -> TaxId:
    """The normalised tax ID, or InvalidTaxId saying what is wrong."""
    value = (text or "").strip().upper()
    form = _FORMS.get(len(value))
    if form is None:
        raise InvalidTaxId("a tax ID has 18 characters (or 15, 17 or 20 for legacy IDs)")
    name, check = form
    check(value)
    return TaxId(value, name)
