"""What exists after start: the platform organisation, the first admin, a signing key and the key file."""
from __future__ import annotations

import os
import stat

from sqlalchemy import func, select

from services.identity.adapters.orm import organisations, signing_keys, users
from services.identity.bootstrap import build_app, build_context
from services.identity.config import Settings, key_encryption_key
from services.identity.tests.conftest import make_settings
from services.identity.tests.flows import ADMIN_PASSWORD, ADMIN_USERNAME


def test_starting_twice_creates_the_admin_platform_and_key_once(app, database_url, clock):
    build_app(make_settings(database_url), clock=clock)
    context = build_context(make_settings(database_url), clock)
    with context.session_factory() as session:
        assert session.execute(select(func.count()).select_from(users)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(organisations)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(signing_keys)).scalar_one() == 1


def test_the_first_admin_logs_in_without_a_password_change(flows):
    body = flows.login(ADMIN_USERNAME, ADMIN_PASSWORD).json
    assert body["must_change_password"] is False


def test_an_existing_admin_keeps_its_changed_password(app, database_url, clock):
    settings = make_settings(database_url)
    changed = Settings(**{**settings.__dict__, "admin_password": "Another-Passw0rd-1"})
    build_app(changed, clock=clock)
    client = app.test_client()
    assert client.post("/identity/v1/auth/login", json={"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}).status_code == 200


def test_the_key_encryption_key_file_is_created_once_and_private(tmp_path, monkeypatch):
    monkeypatch.delenv("IDENTITY_KEY_ENCRYPTION_KEY", raising=False)
    monkeypatch.setenv("SUITE_VAR_DIR", str(tmp_path))
    first = key_encryption_key()
    assert key_encryption_key() == first and len(first) == 32
    path = tmp_path / "identity" / "key-encryption.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["key-encryption.key"]


def test_the_key_encryption_key_comes_from_the_environment_when_set(monkeypatch, tmp_path):
    monkeypatch.setenv("SUITE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("IDENTITY_KEY_ENCRYPTION_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY")
    assert key_encryption_key() == b"0123456789abcdef0123456789abcdef"
    assert not (tmp_path / "identity").exists()
