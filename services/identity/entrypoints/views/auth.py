"""Logging in and out, refreshing, SMS codes and password changes (`/identity/v1/auth`)."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.identity.entrypoints import schemas
from services.identity.entrypoints.common import PREFIX, client_address, kit
from services.identity.service_layer import passwords, sessions
from shared.auth import current_principal, require
from shared.web import uow

blp = Blueprint("auth", __name__, url_prefix=f"{PREFIX}/auth", description="Sessions and passwords")


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(schemas.LoginSchema)
    @blp.response(200, schemas.TokenPairSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Log in with username and password

        Answers an access token (15 minutes) and a refresh token. `must_change_password` true means
        only the password change works until it is done. Failed logins are throttled per account and
        per address: 429 `too_many_attempts` with Retry-After.
        """
        return asdict(sessions.login(uow(), kit(), body["username"], body["password"], client_address()))


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.arguments(schemas.RefreshTokenSchema)
    @blp.response(200, schemas.TokenPairSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Exchange a refresh token for new tokens

        The refresh token is used up; presenting it again revokes the whole session (401
        `refresh_token_reused`).
        """
        return asdict(sessions.refresh(uow(), kit(), body["refresh_token"]))


@blp.route("/logout")
class Logout(MethodView):
    @blp.arguments(schemas.RefreshTokenSchema)
    @blp.response(204)
    def post(self, body: dict[str, Any]) -> None:
        """Log out: revoke the session of this refresh token"""
        sessions.logout(uow(), kit(), body["refresh_token"])


@blp.route("/sms-codes")
class SmsCodes(MethodView):
    @require(allow_password_change=True)
    @blp.arguments(schemas.SmsCodeRequestSchema)
    @blp.response(201, schemas.SmsCodeSentSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send a verification code to the caller's phone

        Six digits, valid 5 minutes, single use; at most one a minute and five an hour (429
        `sms_code_rate_limited` with Retry-After).
        """
        return passwords.request_sms_code(uow(), kit(), current_principal().sub, body["purpose"])


@blp.route("/password")
class Password(MethodView):
    @require(allow_password_change=True)
    @blp.arguments(schemas.PasswordChangeSchema)
    @blp.response(200, schemas.TokenPairSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Change the caller's password (needs an SMS code)

        Answers fresh tokens without the password-change mark; all earlier refresh tokens are
        revoked. Policy: at least 10 characters of three classes, not containing the username.
        """
        changed = passwords.change_password(
            uow(), kit(), current_principal().sub, body["old_password"], body["new_password"], body["sms_code"]
        )
        return asdict(changed)
