"""Mail: building a proper MIME message and handing it to SMTP or to a folder of .eml files.

`SMTP_HOST` set: each mail goes to that server (`SMTP_PORT`, optional `SMTP_USERNAME` /
`SMTP_PASSWORD`, `SMTP_STARTTLS=true`). Unset: each mail is written to `var/mail/` as an .eml file.
"""
from __future__ import annotations

import os
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

from shared.clock import utcnow


class MailSendFailed(Exception):
    """The mail could not be handed over; the message is retried."""


@dataclass(frozen=True)
class OutgoingMail:
    message_id: str
    to: str
    to_name: str | None
    subject: str
    text: str
    html: str
    language: str
    at: datetime


class Mailer(Protocol):
    def send(self, mail: OutgoingMail) -> None: ...


def _single_line(value: str) -> str:
    return " ".join(value.split())


def build_mime(mail: OutgoingMail, sender: str) -> EmailMessage:
    """UTF-8 text with an HTML alternative, and the headers a mail server expects."""
    message = EmailMessage()
    sender_name, sender_address = parseaddr(sender)
    domain = sender_address.rpartition("@")[2] or "suite.local"
    message["From"] = Address(display_name=_single_line(sender_name), addr_spec=sender_address)
    message["To"] = Address(display_name=_single_line(mail.to_name or ""), addr_spec=mail.to)
    message["Subject"] = _single_line(mail.subject)
    message["Date"] = format_datetime(mail.at)
    message["Message-ID"] = make_msgid(idstring=mail.message_id, domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Suite-Message-Id"] = mail.message_id
    message.set_content(mail.text, charset="utf-8")
    message.add_alternative(mail.html, subtype="html", charset="utf-8")
    message["Content-Language"] = mail.language  # after add_alternative, which moves Content-* headers into the parts
    return message


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def send(self, mail: OutgoingMail) -> None:
        message = build_mime(mail, self.sender)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message, to_addrs=[mail.to])
        except (smtplib.SMTPException, OSError) as exc:
            raise MailSendFailed(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {_smtp_reason(exc)}") from exc


def _smtp_reason(exc: BaseException) -> str:
    """The server's code and reply (never the message content), or the network error."""
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {reply}"[:300]
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "recipient refused"
    return str(exc)[:300]


class EmlFileMailer:
    """Writes each mail to `folder/<time>-<recipient>-<message id>.eml`."""

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    def send(self, mail: OutgoingMail) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        recipient = "".join(ch for ch in mail.to if ch.isalnum() or ch in "@.-_+")
        name = f"{utcnow():%Y%m%dT%H%M%S%f}Z-{recipient}-{mail.message_id[:12]}.eml"
        draft = self.folder / f".{name}.part"
        draft.write_bytes(bytes(build_mime(mail, self.sender)))
        os.replace(draft, self.folder / name)
