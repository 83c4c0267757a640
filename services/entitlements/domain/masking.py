"""Masking of another tenant's name, shown when an enterprise is already bound elsewhere (seed 001).

The city prefix (the first two characters) and the legal-form suffix (有限公司, 股份有限公司, …) stay;
everything between becomes `XXXX`, so neither the name nor its length leaks: `苏州工业园区某某科技有限公司`
→ `苏州XXXX有限公司`.
"""
from __future__ import annotations

MASK = "XXXX"
PREFIX_LENGTH = 2
# Longest first: the first suffix that matches wins.
LEGAL_FORM_SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "（有限合伙）",
    "(有限合伙)",
    "有限公司",
    "合伙企业",
    "分公司",
    "事务所",
    "研究院",
    "公司",
    "集团",
    "中心",
    "Co., Ltd.",
    "Co.,Ltd.",
    "Limited",
    "Ltd.",
    "Ltd",
    "Inc.",
    "LLC",
)


def legal_form_suffix(name: str) -> str:
    for suffix in LEGAL_FORM_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return suffix
    return ""


def mask_tenant_name(name: str | None) -> str:
    """`苏州XXXX有限公司` for `苏州某某科技有限公司`; just `XXXX` when the name is unknown."""
    name = (name or "").strip()
    if not name:
        return MASK
    suffix = legal_form_suffix(name)
    prefix = name[: min(PREFIX_LENGTH, len(name) - len(suffix))]
    return f"{prefix}{MASK}{suffix}"
