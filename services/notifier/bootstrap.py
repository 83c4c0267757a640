"""Composition root of the notifier service: builds its context, API app and worker parts from settings."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from services.notifier.adapters import orm
from services.notifier.adapters.mail import EmlFileMailer, Mailer, SmtpMailer
from services.notifier.adapters.secret_box import SecretBox, key_from_file, key_from_setting
from services.notifier.adapters.sms import FileSmsProvider, SmsProvider, WebhookSmsProvider
from services.notifier.adapters.templates import TemplateRenderer
from services.notifier.adapters.traffic import HttpTrafficClient, NoTraffic, TrafficClient
from services.notifier.config import SERVICE, DeliverySettings, Settings, TrafficSettings
from services.notifier.service_layer.delivery import Channels, MessageDelivery
from shared.auth import TokenVerifier
from shared.clock import Clock
from shared.db import make_engine, make_session_factory
from shared.settings import var_dir
from shared.web import ServiceContext, create_app

log = logging.getLogger(__name__)


def build_context(settings: Settings, clock: Clock | None = None) -> ServiceContext:
    engine = make_engine(settings.common.database_url)
    return ServiceContext(SERVICE, make_session_factory(engine), orm.platform, clock or Clock())


def build_app(settings: Settings | None = None, *, verifier: TokenVerifier | None = None, clock: Clock | None = None) -> Flask:
    from services.notifier.entrypoints.http import blueprints

    settings = settings or Settings.from_env()
    return create_app(settings.common, build_context(settings, clock), blueprints(), verifier=verifier)


def build_secret_box(delivery: DeliverySettings, var: Path | None = None) -> SecretBox:
    if delivery.secret_key:
        return SecretBox(key_from_setting(delivery.secret_key))
    return SecretBox(key_from_file((var or var_dir()) / "notifier" / "secret.key"))


def build_mailer(delivery: DeliverySettings, var: Path | None = None) -> Mailer:
    smtp = delivery.smtp
    if smtp is None:
        return EmlFileMailer((var or var_dir()) / "mail", delivery.sender)
    return SmtpMailer(
        smtp.host, smtp.port, delivery.sender, username=smtp.username, password=smtp.password, starttls=smtp.starttls
    )


def build_traffic_client(traffic: TrafficSettings) -> TrafficClient:
    if not traffic.configured:
        log.warning("SMS traffic is not drawn: NOTIFIER_CLIENT_ID / NOTIFIER_CLIENT_SECRET are not set")
        return NoTraffic()
    return HttpTrafficClient(traffic.identity_url, traffic.entitlements_url, traffic.client_id or "", traffic.client_secret or "",
                             traffic.product_code)


def build_sms_provider(delivery: DeliverySettings, var: Path | None = None) -> SmsProvider:
    if delivery.sms_provider == "webhook" and delivery.sms_webhook_url:
        return WebhookSmsProvider(delivery.sms_webhook_url)
    return FileSmsProvider((var or var_dir()) / "sms")


@dataclass(frozen=True)
class NotifierWorkerParts:
    """What the worker's consumer and delivery job share."""

    context: ServiceContext
    renderer: TemplateRenderer
    box: SecretBox
    delivery: MessageDelivery


def build_worker_parts(settings: Settings, context: ServiceContext | None = None, var: Path | None = None) -> NotifierWorkerParts:
    context = context or build_context(settings)
    box = build_secret_box(settings.delivery, var)
    channels = Channels(build_mailer(settings.delivery, var), build_sms_provider(settings.delivery, var))
    delivery = MessageDelivery(context.session_factory, context.clock, channels, box, traffic=build_traffic_client(settings.traffic))
    return NotifierWorkerParts(context, TemplateRenderer(public_url=settings.public_url), box, delivery)
