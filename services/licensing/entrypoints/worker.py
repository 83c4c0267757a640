"""The licensing worker: outbox relay and the consumers of the saga's answers (`python -m services.licensing.entrypoints.worker`)."""
from __future__ import annotations

from services.licensing.bootstrap import build_context
from services.licensing.config import Settings
from services.licensing.service_layer.answers import BATCH_HANDLERS, HANDLERS
from shared.worker import run_worker


def main() -> None:
    settings = Settings.from_env()
    run_worker(settings.common, build_context(settings), handlers=HANDLERS, jobs=[], batch_handlers=BATCH_HANDLERS)


if __name__ == "__main__":
    main()
