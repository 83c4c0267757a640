"""The zh-CN catalogue covers every message of the code and templates, and the committed .mo matches the .po."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parent.parent
TRANSLATIONS = WEB / "translations"


def _catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


def test_every_message_of_the_code_is_in_the_catalogues(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
                    "-o", str(pot), "."], cwd=WEB, check=True, capture_output=True)
    with open(pot, "rb") as extracted:
        wanted = {m.id for m in read_po(extracted) if m.id}
    for language in ("zh_Hans_CN", "en"):
        known = {m.id for m in _catalogue(language) if m.id}
        assert wanted <= known, f"{language}: run pybabel update (web/README.md): {sorted(map(str, wanted - known))[:5]}"


def test_every_chinese_message_is_translated() -> None:
    missing = [m.id for m in _catalogue("zh_Hans_CN") if m.id and (not m.string or m.fuzzy)]
    assert not missing, missing[:5]


def test_the_compiled_catalogues_match_their_sources() -> None:
    for language in ("zh_Hans_CN", "en"):
        with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as mo:
            compiled = {m.id: m.string for m in read_mo(mo) if m.id}
        source = {m.id: m.string for m in _catalogue(language) if m.id and m.string and not m.fuzzy}
        assert compiled == source, f"{language}: run pybabel compile -d translations (web/README.md)"
