"""The links identity writes (welcome mail's portal address, invitations) start at SUITE_PUBLIC_URL."""
from __future__ import annotations

import base64

from services.identity.config import Settings


def _settings(monkeypatch, tmp_path, **env) -> Settings:
    monkeypatch.setenv("SUITE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("IDENTITY_KEY_ENCRYPTION_KEY", base64.urlsafe_b64encode(bytes(32)).decode())
    monkeypatch.delenv("SUITE_PUBLIC_URL", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env()


def test_portal_url_is_the_gateway_with_the_port_offset_by_default(monkeypatch, tmp_path):
    settings = _settings(monkeypatch, tmp_path, SUITE_PORT_OFFSET="14000")
    assert settings.portal_url == "http://localhost:22080/portal"


def test_portal_url_follows_suite_public_url(monkeypatch, tmp_path):
    settings = _settings(monkeypatch, tmp_path, SUITE_PUBLIC_URL="https://suite.example.com", SUITE_PORT_OFFSET="14000")
    assert settings.portal_url == "https://suite.example.com/portal"



def test_welcome_mail_and_invitation_use_the_configured_portal(flows, outbox):
    """conftest's settings name https://portal.test: both events carry links under it, nothing else."""
    _, headers = flows.activated_tenant()
    created = outbox("identity.tenant.created.v1")[-1]
    assert created["portal_url"] == "https://portal.test"
    org_id = created["tenant_id"]
    assert flows.invite(headers, org_id, "deputy@tenant.test", ["tenant_admin"]).status_code == 201
    invited = outbox("identity.user.invited.v1")[-1]
    prefix = "https://portal.test/activate?token="
    assert invited["activation_url"].startswith(prefix) and len(invited["activation_url"]) > len(prefix) + 30
