"""Tax IDs (纳税人识别号), checked by the same rules entitlements applies, so a tax ID licensing accepts
is never one entitlements cannot add to the tenant:

- 18 characters: the unified social credit code of GB 32100-2015 (registration authority, division
  digits, the GB 11714 organisation code with its MOD 11 check, the MOD 31 check character);
- 15 characters: a 6-digit division and an organisation code with its check character;
- 17 characters: digits only (an old ID number and a sequence);
- 20 characters: an 18-character resident ID (GB 11643 check) and a 2-digit sequence.
"""
from __future__ import annotations

import re

_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
_RESIDENT_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_USCC_RE = re.compile(r"^[1-9ANY][0-9A-HJ-NPQRTUWXY][0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_LEGACY_15_RE = re.compile(r"^[0-9]{6}[0-9A-Z]{8}[0-9X]$")
_LEGACY_20_RE = re.compile(r"^[0-9]{17}[0-9X][0-9]{2}$")


def uscc_check_character(first_17: str) -> str:
    total = sum(_USCC_CHARSET.index(char) * weight for char, weight in zip(first_17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARSET[(31 - total % 31) % 31]


def organisation_code_check_character(body_8: str) -> str:
    total = sum(int(char, 36) * weight for char, weight in zip(body_8, _ORG_CODE_WEIGHTS, strict=True))
    return {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


def _resident_id_check_character(first_17: str) -> str:
    return "10X98765432"[sum(int(char) * weight for char, weight in zip(first_17, _RESIDENT_ID_WEIGHTS, strict=True)) % 11]


def _valid_organisation_code(code: str) -> bool:
    return organisation_code_check_character(code[:8]) == code[8]


def is_valid_tax_id(tax_id: str) -> bool:
    if len(tax_id) == 18:
        return bool(_USCC_RE.match(tax_id)) and _valid_organisation_code(tax_id[8:17]) and uscc_check_character(tax_id[:17]) == tax_id[17]
    if len(tax_id) == 15:
        return bool(_LEGACY_15_RE.match(tax_id)) and _valid_organisation_code(tax_id[6:])
    if len(tax_id) == 17:
        return tax_id.isdigit()
    if len(tax_id) == 20:
        return bool(_LEGACY_20_RE.match(tax_id)) and _resident_id_check_character(tax_id[:17]) == tax_id[17]
    return False
