"""The page's language: the one the user chose (kept in the session), else zh-CN (WEB-3)."""
from __future__ import annotations

from flask import current_app, has_request_context, session

LANGUAGES: dict[str, str] = {"zh_CN": "中文", "en": "English"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


def select_locale() -> str:
    if has_request_context():
        chosen = session.get("lang")
        if chosen in LANGUAGES:
            return chosen
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")
