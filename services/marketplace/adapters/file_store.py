"""Uploaded files kept on disk (outside the database) under content-addressed names, with checksums."""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size_bytes: int
    relative_path: str


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, content: bytes) -> StoredBlob:
        """Writes the bytes atomically as <sha[:2]>/<sha>; the same content is stored once."""
        digest = hashlib.sha256(content).hexdigest()
        relative = f"{digest[:2]}/{digest}"
        target = self.root / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
                handle.write(content)
                temporary = handle.name
            os.replace(temporary, target)
        return StoredBlob(digest, len(content), relative)

    def read(self, relative_path: str) -> bytes:
        return (self.root / relative_path).read_bytes()

    def verify(self, relative_path: str, sha256: str) -> bool:
        return hashlib.sha256(self.read(relative_path)).hexdigest() == sha256
