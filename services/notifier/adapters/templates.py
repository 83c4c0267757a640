"""Message templates: Jinja2 files `templates/<event type>.<language>.txt`, one per event type and language.

A mail template starts with a `Subject: …` line, then a blank line, then the plain-text body; an SMS
template is the text alone. `portal_url` and `market_url` (from `SUITE_PUBLIC_URL`, `shared.links`) are
known to every template. The HTML alternative of a mail is derived from its text (escaped, links
made clickable), so the two never say different things.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import ChainableUndefined, Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from shared import links

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
SUBJECT_PREFIX = "Subject:"

# Digits after the decimal point of a currency's minor unit (ISO 4217); two unless listed.
_MINOR_DIGITS = {"JPY": 0, "KRW": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3}
_LINK = re.compile(r"https?://[^\s<>\"']+")


class TemplateMissing(LookupError):
    """No template for this event type in this language."""


@dataclass(frozen=True)
class RenderedText:
    subject: str | None
    body: str


def money(amount_minor: Any, currency: Any) -> str:
    """`12345, "CNY"` → `123.45 CNY`."""
    if not isinstance(amount_minor, int):
        return f"{amount_minor} {currency}"
    digits = _MINOR_DIGITS.get(str(currency).upper(), 2)
    sign = "-" if amount_minor < 0 else ""
    whole, minor = divmod(abs(amount_minor), 10**digits)
    figure = f"{whole:,}" + (f".{minor:0{digits}d}" if digits else "")
    return f"{sign}{figure} {currency}"


def _parsed_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def utc_time(value: Any) -> str:
    """`2026-01-04T08:30:00Z` → `2026-01-04 08:30 UTC` (anything unparsable is shown as given)."""
    parsed = _parsed_time(value)
    return f"{parsed.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if parsed else str(value)


def minutes_after(until: Any, since: Any) -> int | None:
    """Whole minutes from `since` to `until` (both ISO times), or None when either is unknown."""
    start, end = _parsed_time(since), _parsed_time(until)
    if start is None or end is None or end <= start:
        return None
    return round((end - start).total_seconds() / 60)


def _split_subject(rendered: str) -> RenderedText:
    first, _, rest = rendered.partition("\n")
    if first.startswith(SUBJECT_PREFIX):
        return RenderedText(first[len(SUBJECT_PREFIX):].strip(), rest.strip("\n") + "\n")
    return RenderedText(None, rendered.strip("\n"))


class TemplateRenderer:
    """Renders a template with an event's data (its fields at top level, the envelope as `event`).

    Lenient by default: a field a producer left out renders empty rather than losing the message;
    `strict=True` (used by the tests) fails on any field the template uses and the data lacks.
    """

    def __init__(self, folder: Path = TEMPLATES_DIR, *, strict: bool = False, public_url: str | None = None) -> None:
        self.environment = Environment(
            loader=FileSystemLoader(folder),
            undefined=StrictUndefined if strict else ChainableUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.environment.filters.update(money=money, utc_time=utc_time, minutes_after=minutes_after)
        # Every template may link to the portal and the storefront (an event's own field of that name wins).
        base = public_url or links.public_url()
        self.environment.globals.update(portal_url=links.portal(base=base), market_url=links.market(base=base))

    def render(self, template: str, language: str, data: dict[str, Any], event: dict[str, Any]) -> RenderedText:
        try:
            compiled = self.environment.get_template(f"{template}.{language}.txt")
        except TemplateNotFound as exc:
            raise TemplateMissing(f"no template {template} in {language}") from exc
        return _split_subject(compiled.render({**data, "event": event}))


def html_alternative(text: str, language: str) -> str:
    """The text as simple HTML: paragraphs, line breaks and clickable links, everything escaped."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    rendered = "\n".join("<p>" + _linked(p).replace("\n", "<br>\n") + "</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(language)}"><head><meta charset="utf-8"></head>\n'
        f'<body style="font-family: sans-serif; line-height: 1.5">\n{rendered}\n</body></html>\n'
    )


def _linked(paragraph: str) -> str:
    pieces: list[str] = []
    cursor = 0
    for match in _LINK.finditer(paragraph):
        pieces.append(html.escape(paragraph[cursor:match.start()]))
        url = html.escape(match.group(0))
        pieces.append(f'<a href="{url}">{url}</a>')
        cursor = match.end()
    pieces.append(html.escape(paragraph[cursor:]))
    return "".join(pieces)
