"""Signing keys: Ed25519 key pairs kept in the database (private halves encrypted), the JWKS, rotation.

Rotation adds the next generation (the unique generation number makes concurrent rotations yield one
new key), published in the JWKS at once but signing only after an activation delay: verifiers fetch
an unknown `kid` at most every couple of seconds, so a key must be published before tokens carry it.
The current key is the newest generation already active. A retired key stays in the JWKS until every
token it signed has expired. Each process caches the current signing key for a few seconds; tokens
signed meanwhile with the just-retired key stay valid, as it is still published.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.identity.adapters.crypto import SecretBox
from services.identity.adapters.orm import signing_keys
from shared.clock import utcnow
from shared.errors import conflict

PUBLISH_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey


def _public_jwk(kid: str, private_key: Ed25519PrivateKey) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(private_key.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": "EdDSA"})
    return jwk


class SigningKeyRing:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        box: SecretBox,
        token_seconds: int,
        activation_seconds: float,
        cache_seconds: float = 10.0,
    ) -> None:
        self._session_factory = session_factory
        self._box = box
        self._token_lifetime = timedelta(seconds=token_seconds)
        self._activation_delay = timedelta(seconds=activation_seconds)
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, SigningKey] | None = None
        self._lock = threading.Lock()

    def add_key(self, session: Session, generation: int, now: datetime, activates_at: datetime) -> str:
        kid = f"k{generation}-{uuid.uuid4().hex[:12]}"
        private_key = Ed25519PrivateKey.generate()
        raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        session.execute(
            signing_keys.insert().values(
                kid=kid,
                generation=generation,
                public_jwk=json.dumps(_public_jwk(kid, private_key)),
                private_key_encrypted=self._box.seal(raw, kid),
                created_at=now,
                activates_at=activates_at,
            )
        )
        return kid

    def ensure_key(self) -> None:
        """At start: create the first key unless one exists (racing processes create one)."""
        with self._session_factory() as session:
            if session.execute(select(signing_keys.c.kid).limit(1)).first() is not None:
                return
            try:
                now = utcnow()
                self.add_key(session, 1, now, now)
                session.commit()
            except IntegrityError:
                session.rollback()

    def rotate(self, session: Session) -> tuple[str, datetime]:
        """Add the next key, signing from the answered time on; the current one retires then."""
        now = utcnow()
        if session.execute(select(signing_keys.c.kid).where(signing_keys.c.activates_at > now)).first() is not None:
            raise conflict("rotation_pending", "the last rotation's key is not active yet")
        activates_at = now + self._activation_delay
        newest = session.execute(select(func.max(signing_keys.c.generation))).scalar_one() or 0
        session.execute(update(signing_keys).where(signing_keys.c.retired_at.is_(None)).values(retired_at=activates_at))
        kid = self.add_key(session, newest + 1, now, activates_at)
        session.flush()
        with self._lock:
            self._cached = None
        return kid, activates_at

    def current(self, session: Session | None) -> SigningKey:
        """The key to sign with, read through the caller's session, or in a session of its own when the
        caller has none (the client-credentials token path, which has no transaction)."""
        with self._lock:
            if self._cached is not None and time.monotonic() - self._cached[0] < self._cache_seconds:
                return self._cached[1]
        if session is None:
            with self._session_factory() as own:
                key = self._load_current(own)
        else:
            key = self._load_current(session)
        with self._lock:
            self._cached = (time.monotonic(), key)
        return key

    def _load_current(self, session: Session) -> SigningKey:
        row = session.execute(
            select(signing_keys.c.kid, signing_keys.c.private_key_encrypted)
            .where(signing_keys.c.activates_at <= utcnow())
            .order_by(signing_keys.c.generation.desc())
            .limit(1)
        ).first()
        if row is None:
            raise RuntimeError("no signing key: the identity app creates one at start")
        raw = self._box.open(row.private_key_encrypted, row.kid)
        return SigningKey(row.kid, Ed25519PrivateKey.from_private_bytes(raw))

    def sign(self, session: Session | None, claims: dict[str, Any]) -> str:
        key = self.current(session)
        return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})

    def jwks(self, session: Session) -> dict[str, Any]:
        """The current key, the next one if a rotation is pending, and retired keys whose tokens may live."""
        oldest_retirement = utcnow() - self._token_lifetime - PUBLISH_MARGIN
        rows = session.execute(
            select(signing_keys.c.public_jwk)
            .where(signing_keys.c.retired_at.is_(None) | (signing_keys.c.retired_at > oldest_retirement))
            .order_by(signing_keys.c.generation.desc())
        ).all()
        return {"keys": [json.loads(row.public_jwk) for row in rows]}

    def jwks_in_own_session(self) -> dict[str, Any]:
        """For the app's own token verifier, which runs before the request opens its session."""
        with self._session_factory() as session:
            return self.jwks(session)
