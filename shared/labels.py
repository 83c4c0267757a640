"""Labels people read for the codes the API answers (states, errors, enum values), in zh-CN and en.

A service keeps its catalogue as `{kind: {code: {"zh-CN": …, "en": …}}}` (e.g. licensing's
`domain/labels.py`), serves it whole (`GET /<service>/v1/labels`, both languages) and adds a
`<field>_label` beside a code in its answers, in the language `Accept-Language` asks for (zh-CN
unless English is preferred). A code the catalogue does not know is labelled with itself, so an answer
never loses information.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask import request

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"

Catalogue = Mapping[str, Mapping[str, Mapping[str, str]]]


def request_language() -> str:
    """zh-CN or en, as the request's Accept-Language prefers (`zh`, `zh-TW`, `en-US` … match by prefix)."""
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def label(catalogue: Catalogue, kind: str, code: object, language: str) -> str | None:
    """The label of `code` (an enum member or its value) in `language`; None for None, the code when unknown."""
    if code is None:
        return None
    value = str(getattr(code, "value", code))
    entry = catalogue.get(kind, {}).get(value)
    return (entry.get(language) or entry[DEFAULT_LANGUAGE]) if entry else value


def check_catalogue(catalogue: Catalogue) -> list[str]:
    """What is wrong with a catalogue: entries lacking a language or with an empty label (for the tests)."""
    return [f"{kind}.{code}: {language}" for kind, codes in catalogue.items() for code, texts in codes.items()
            for language in LANGUAGES if not (texts.get(language) or "").strip()]
