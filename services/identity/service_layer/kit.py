"""What the identity handlers need besides a unit of work: settings, keys and the crypto helpers."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import Engine

from services.identity.adapters.crypto import Passwords, SecretBox, SecretDigest
from services.identity.config import Settings
from services.identity.service_layer.keys import SigningKeyRing


@dataclass(frozen=True)
class IdentityKit:
    settings: Settings
    keys: SigningKeyRing
    box: SecretBox
    digests: SecretDigest
    passwords: Passwords
    reads: Engine  # autocommit reads of the token path (adapters/reads.py)

    def activation_url(self, token: str) -> str:
        return f"{self.settings.portal_url}/activate?{urlencode({'token': token})}"
