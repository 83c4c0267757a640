"""docs/events.md is the catalogue `python -m shared.catalogue` generates from the code; CI fails when they drift."""
from __future__ import annotations

from shared.catalogue import render
from shared.settings import repo_root


def test_the_event_catalogue_matches_the_code() -> None:
    written = (repo_root() / "docs" / "events.md").read_text(encoding="utf-8")
    assert written == render(), "docs/events.md is stale: run `python -m shared.catalogue` and commit the result"


def test_the_catalogue_keeps_the_conventions_and_names_every_published_type() -> None:
    text = render()
    assert "recipient: {email, phone, name, language}" in text and "stores and logs them masked" in text
    assert "| [licensing.license.authorized.v1](#licensinglicenseauthorizedv1) | licensing |" in text
    assert "published by nobody" not in text
