"""The event types notifier publishes: none (it only consumes; the source of docs/events.md)."""
from __future__ import annotations

PUBLISHED: dict[str, str] = {}
