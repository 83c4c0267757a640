"""Fixtures of the contract tests; pact-python's usage tracking is switched off (CI has no network to spare)."""
from __future__ import annotations

import os

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
