"""Encryption at rest (AES-256-GCM) for the real text of messages waiting to be sent.

The key comes from `NOTIFIER_SECRET_KEY` (base64 of 32 bytes; any other text is taken as a
passphrase and hashed to a key) or, when unset, from a key file created once under var/ with mode
0600. Each text is sealed with a fresh nonce and bound to its message id, so a ciphertext moved to
another message does not open.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class SealedContentUnreadable(Exception):
    """The stored content cannot be opened (another key, or tampered with)."""


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the notifier key must be 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: str, bound_to: str) -> tuple[bytes, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        return nonce, self._aead.encrypt(nonce, plaintext.encode("utf-8"), bound_to.encode("utf-8"))

    def open(self, nonce: bytes, ciphertext: bytes, bound_to: str) -> str:
        try:
            return self._aead.decrypt(nonce, ciphertext, bound_to.encode("utf-8")).decode("utf-8")
        except InvalidTag as exc:
            raise SealedContentUnreadable("the stored message content cannot be decrypted") from exc


def key_from_setting(value: str) -> bytes:
    """32 raw bytes from base64 text (standard or URL-safe alphabet), else a SHA-256 of the text taken as a passphrase."""
    try:
        text = value.replace("+", "-").replace("/", "_")
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        decoded = b""
    return decoded if len(decoded) == 32 else hashlib.sha256(value.encode("utf-8")).digest()


def key_from_file(path: Path) -> bytes:
    """The key kept in `path`, created (atomically, mode 0600) by whichever process needs it first."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}.new")
        descriptor = os.open(draft, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(base64.b64encode(os.urandom(32)).decode("ascii"))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return key_from_setting(path.read_text().strip())
