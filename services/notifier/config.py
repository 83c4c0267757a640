"""Settings of the notifier service, read from the environment when `Settings.from_env()` is called."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from shared import links
from shared.settings import CommonSettings, service_url

SERVICE = "notifier"
DEFAULT_SENDER = "发票云 <no-reply@suite.local>"
SMS_PROVIDERS = ("file", "webhook")
DEFAULT_SMS_PRODUCT_CODE = "SMS"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False


@dataclass(frozen=True)
class DeliverySettings:
    """How the worker sends: SMTP (else .eml files under var/mail), the SMS provider, the sender, the key."""

    smtp: SmtpSettings | None = None
    sms_provider: str = "file"
    sms_webhook_url: str | None = None
    sender: str = DEFAULT_SENDER
    secret_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls) -> "DeliverySettings":
        host = os.environ.get("SMTP_HOST")
        smtp = None
        if host:
            smtp = SmtpSettings(
                host=host,
                port=int(os.environ.get("SMTP_PORT", "25")),
                username=os.environ.get("SMTP_USERNAME") or None,
                password=os.environ.get("SMTP_PASSWORD") or None,
                starttls=os.environ.get("SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
            )
        provider = (os.environ.get("SMS_PROVIDER") or "file").lower()
        if provider not in SMS_PROVIDERS:
            raise ValueError(f"SMS_PROVIDER must be one of {', '.join(SMS_PROVIDERS)}, not {provider!r}")
        webhook = os.environ.get("SMS_WEBHOOK_URL") or None
        if provider == "webhook" and not webhook:
            raise ValueError("SMS_PROVIDER=webhook needs SMS_WEBHOOK_URL")
        return cls(
            smtp=smtp,
            sms_provider=provider,
            sms_webhook_url=webhook,
            sender=os.environ.get("NOTIFIER_FROM") or DEFAULT_SENDER,
            secret_key=os.environ.get("NOTIFIER_SECRET_KEY") or None,
        )


@dataclass(frozen=True)
class TrafficSettings:
    """Drawing SMS traffic from entitlements (ENT-7) with the notifier's service account.

    Without `NOTIFIER_CLIENT_ID` and `NOTIFIER_CLIENT_SECRET` no traffic is drawn (each SMS of a tenant is
    recorded as not billed, `traffic_not_configured`)."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    identity_url: str = ""
    entitlements_url: str = ""
    product_code: str = DEFAULT_SMS_PRODUCT_CODE

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @classmethod
    def from_env(cls) -> "TrafficSettings":
        return cls(
            client_id=os.environ.get("NOTIFIER_CLIENT_ID") or None,
            client_secret=os.environ.get("NOTIFIER_CLIENT_SECRET") or None,
            identity_url=service_url("identity"),
            entitlements_url=service_url("entitlements"),
            product_code=os.environ.get("NOTIFIER_SMS_PRODUCT_CODE") or DEFAULT_SMS_PRODUCT_CODE,
        )


@dataclass(frozen=True)
class Settings:
    common: CommonSettings
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    traffic: TrafficSettings = field(default_factory=TrafficSettings)
    public_url: str | None = None  # links in mails start here; None: SUITE_PUBLIC_URL's default (shared.links)

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(common=CommonSettings.from_env(SERVICE), delivery=DeliverySettings.from_env(), traffic=TrafficSettings.from_env(),
                   public_url=links.public_url())
