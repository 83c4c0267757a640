"""The language a message is written in: the recipient's, else the organisation's, else Chinese."""
from __future__ import annotations

DEFAULT_LANGUAGE = "zh-CN"
LANGUAGES = ("zh-CN", "en")


def supported_language(value: object) -> str | None:
    """`zh-CN` or `en` for any spelling of Chinese or English (`zh`, `zh_cn`, `en-US`…), else None."""
    if not isinstance(value, str):
        return None
    primary = value.strip().replace("_", "-").split("-")[0].lower()
    return {"zh": "zh-CN", "en": "en"}.get(primary)


def choose_language(recipient_language: object, organisation_language: object) -> str:
    return supported_language(recipient_language) or supported_language(organisation_language) or DEFAULT_LANGUAGE
