"""The page's language: the one the user chose (kept in the session), else zh-CN (WEB-3)."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, has_request_context, session
from flask_babel import format_datetime

LANGUAGES: dict[str, str] = {"zh_CN": "中文", "en": "English"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


def select_locale() -> str:
    if has_request_context():
        chosen = session.get("lang")
        if chosen in LANGUAGES:
            return chosen
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")


def when(value: str | None) -> str:
    """An API time (ISO 8601 UTC) in the users' time zone, `YYYY-MM-DD HH:mm`; a date stays a date."""
    if not value:
        return "—"
    if len(value) == 10:
        return value
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return format_datetime(moment, "yyyy-MM-dd HH:mm")
