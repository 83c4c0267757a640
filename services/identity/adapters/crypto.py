"""Cryptography of the identity service: password hashing, secrets at rest, fast secret digests.

- Passwords: argon2id with at least OWASP's minimum (19 MiB, t=2, p=1).
- Secrets at rest (signing keys, API-client secrets until revealed, encrypt keys): AES-256-GCM with
  the key-encryption key; each value has its own random nonce and is bound to its row by the
  associated data, so a ciphertext copied to another row does not decrypt.
- Random high-entropy secrets (refresh tokens, invitation tokens, client secrets, SMS codes) are
  looked up or compared by HMAC-SHA256 under a pepper derived from the key-encryption key: a 256-bit
  random secret cannot be guessed, so a slow hash would only cost time on every request.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"suite-identity:" + purpose).derive(key)


class SecretBox:
    """AES-GCM encryption of values at rest with a key derived from the key-encryption key."""

    def __init__(self, key_encryption_key: bytes) -> None:
        self._aead = AESGCM(_derive(key_encryption_key, b"at-rest"))

    def seal(self, plaintext: bytes, bound_to: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = nonce + self._aead.encrypt(nonce, plaintext, bound_to.encode())
        return base64.b64encode(sealed).decode()

    def open(self, sealed: str, bound_to: str) -> bytes:
        raw = base64.b64decode(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], bound_to.encode())


class SecretDigest:
    """HMAC-SHA256 digests of random secrets (tokens, client secrets, SMS codes) under a pepper."""

    def __init__(self, key_encryption_key: bytes) -> None:
        self._pepper = _derive(key_encryption_key, b"secret-digest")

    def digest(self, secret: str, context: str = "") -> str:
        return hmac.new(self._pepper, f"{context}\x00{secret}".encode(), hashlib.sha256).hexdigest()

    def matches(self, secret: str, expected_digest: str, context: str = "") -> bool:
        return hmac.compare_digest(self.digest(secret, context), expected_digest)


class Passwords:
    """argon2id hashing; `verify` never raises for a wrong password or a broken hash.

    At most `concurrency` hashes at a time per process (default: the number of cores). Each touches
    19 MiB, and more of them at once than there are cores only evict one another from the CPU caches
    — measured here 20.0 ms of CPU a verification alone, 21.3 ms with two threads, 22.9 ms with four
    on two cores. Not fewer than the cores: the HTTP server spreads connections over its worker processes
    unevenly (all of a client's logins may land in one), and one process must still be able to use
    every core. Threads over the limit wait for the gate (the GIL is released meanwhile).
    """

    def __init__(self, concurrency: int | None = None) -> None:
        self._hasher = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM)
        self._gate = threading.BoundedSemaphore(concurrency or os.cpu_count() or 1)
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        with self._gate:
            return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Check `password`; with no hash it still spends the time of one check (no user enumeration)."""
        try:
            with self._gate:
                return self._hasher.verify(password_hash or self._decoy, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
