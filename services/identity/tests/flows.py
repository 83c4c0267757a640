"""Business steps the identity tests repeat: log in, create a tenant, change the first password, invite."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient

from shared.clock import FrozenClock

ADMIN_USERNAME = "root@suite.test"
ADMIN_PASSWORD = "Root-Passw0rd-2026!"
NEW_PASSWORD = "Fresh-Passw0rd-2026"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Flows:
    client: FlaskClient
    outbox: Any
    clock: FrozenClock

    def login(self, username: str, password: str, address: str = "10.0.0.1") -> Any:
        return self.client.post(
            "/identity/v1/auth/login", json={"username": username, "password": password}, headers={"X-Forwarded-For": address}
        )

    def token(self, username: str, password: str) -> str:
        response = self.login(username, password)
        assert response.status_code == 200, response.json
        return response.json["access_token"]

    def admin(self) -> dict[str, str]:
        return bearer(self.token(ADMIN_USERNAME, ADMIN_PASSWORD))

    def create_tenant(self, name: str = "苏州测试有限公司", email: str = "boss@tenant.test", phone: str = "13800000001") -> dict[str, Any]:
        response = self.client.post(
            "/identity/v1/tenants", json={"name": name, "admin_email": email, "admin_phone": phone}, headers=self.admin()
        )
        assert response.status_code == 201, response.json
        return response.json

    def initial_password(self, tenant_id: str) -> str:
        return next(e["initial_password"] for e in self.outbox("identity.tenant.created.v1") if e["tenant_id"] == tenant_id)

    def sms_code(self, headers: dict[str, str]) -> str:
        response = self.client.post("/identity/v1/auth/sms-codes", json={"purpose": "password_change"}, headers=headers)
        assert response.status_code == 201, response.json
        return self.outbox("identity.sms_code.requested.v1")[-1]["code"]

    def activated_tenant(self, email: str = "boss@tenant.test", name: str = "苏州测试有限公司") -> tuple[dict[str, Any], dict[str, str]]:
        """A tenant whose first admin changed the initial password; answers (tenant, admin headers)."""
        tenant = self.create_tenant(name=name, email=email)
        first = self.login(email, self.initial_password(tenant["id"])).json
        headers = bearer(first["access_token"])
        code = self.sms_code(headers)
        changed = self.client.post(
            "/identity/v1/auth/password",
            json={"old_password": self.initial_password(tenant["id"]), "new_password": NEW_PASSWORD, "sms_code": code},
            headers=headers,
        )
        assert changed.status_code == 200, changed.json
        return tenant, bearer(changed.json["access_token"])

    def invite(self, headers: dict[str, str], org_id: str, email: str, roles: list[str], phone: str = "13900000002") -> Any:
        return self.client.post(
            "/identity/v1/users", json={"org_id": org_id, "email": email, "phone": phone, "name": "Li Lei", "roles": roles}, headers=headers
        )

    def invitation_token(self, email: str) -> str:
        event = [e for e in self.outbox("identity.user.invited.v1") if e["email"] == email][-1]
        return event["activation_url"].split("token=", 1)[1]

    def accept(self, email: str, password: str = NEW_PASSWORD) -> Any:
        return self.client.post("/identity/v1/invitations/accept", json={"token": self.invitation_token(email), "password": password})

    def active_user(self, headers: dict[str, str], org_id: str, email: str, roles: list[str]) -> dict[str, Any]:
        user = self.invite(headers, org_id, email, roles)
        assert user.status_code == 201, user.json
        assert self.accept(email).status_code == 200
        return user.json
