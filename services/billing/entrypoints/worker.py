"""The billing worker: outbox relay, the organisation read model, auto-renewal, expiry reminders and
expiry imports (`python -m services.billing.entrypoints.worker`)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from services.billing.adapters.payment_providers import SandboxProvider
from services.billing.adapters.spreadsheets import UnreadableSheet, check_expansion, read_expiry_rows
from services.billing.bootstrap import build_context
from services.billing.config import Settings
from services.billing.service_layer import expiry_imports, jobs, sandbox
from services.billing.service_layer.companies import record_organisation
from shared.uow import UnitOfWork
from shared.web import ServiceContext
from shared.worker import Job, run_worker

log = logging.getLogger(__name__)

IMPORT_BATCH_ROWS = 2000


class ExpiryImportRunner:
    """Drains pending imports. Unlike other jobs it commits per batch (progress must be visible while
    it runs), each batch in a unit of work of its own; the job's own unit of work stays unused."""

    def __init__(self, context: ServiceContext, batch_rows: int = IMPORT_BATCH_ROWS) -> None:
        self.context = context
        self.batch_rows = batch_rows

    def __call__(self, _job_uow: UnitOfWork) -> None:
        while (job := self._next()) is not None:
            self.run_import(job)

    def _next(self) -> Any:
        with self.context.session_factory() as session:
            return expiry_imports.next_import(session)

    def run_import(self, job: Any) -> None:
        """Streams the sheet twice (a count for the progress, then batches), never holding all its rows."""
        content = job.content or b""
        try:
            check_expansion(content)  # as at upload: an import queued before the limits existed meets them here
            total = sum(1 for _ in read_expiry_rows(content))
        except UnreadableSheet as unreadable:
            reason = str(unreadable)
            self._in_own_uow(lambda uow: expiry_imports.finish(uow, job.id, reason))
            return
        self._in_own_uow(lambda uow: expiry_imports.start(uow, job.id, total))
        try:
            rows = itertools.islice(read_expiry_rows(content), job.processed_rows, None)  # resume after the last batch
            while batch := list(itertools.islice(rows, self.batch_rows)):
                self._in_own_uow(lambda uow, batch=batch: expiry_imports.apply_batch(uow, job.id, batch))
        except Exception:  # noqa: BLE001 - the import fails with a reason instead of being retried forever
            log.exception("expiry import failed", extra={"fields": {"import_id": job.id}})
            self._in_own_uow(lambda uow: expiry_imports.finish(uow, job.id, "the import stopped on an unexpected error"))
            return
        self._in_own_uow(lambda uow: expiry_imports.finish(uow, job.id))
        log.info("expiry import finished", extra={"fields": {"import_id": job.id, "rows": total}})

    def _in_own_uow(self, work: Callable[[UnitOfWork], None]) -> None:
        session = self.context.session_factory()
        try:
            work(UnitOfWork(self.context.service, session, self.context.tables, self.context.clock))
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


class SandboxCallbacks:
    """Delivers the sandbox provider's queued callbacks (services/billing/service_layer/sandbox.py)."""

    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    def __call__(self, _job_uow: UnitOfWork) -> list[int | None]:
        provider = self.context.extras["payment_provider"]
        if not isinstance(provider, SandboxProvider):
            return []
        return sandbox.deliver_sandbox_notices(self.context.session_factory, self.context.clock.now, provider.send_callback)


def jobs_of(context: ServiceContext) -> list[Job]:
    return [
        Job("sandbox_callbacks", 1, SandboxCallbacks(context)),
        Job("expiry_imports", 2, ExpiryImportRunner(context)),
        Job("auto_renewals", 300, jobs.run_auto_renewals),
        Job("expiry_reminders", 300, jobs.send_expiry_reminders),
    ]


HANDLERS = {
    "identity.organisation.created.v1": record_organisation,
    "identity.organisation.updated.v1": record_organisation,
}


def main() -> None:
    settings = Settings.from_env()
    context = build_context(settings)
    run_worker(settings.common, context, handlers=HANDLERS, jobs=jobs_of(context))


if __name__ == "__main__":
    main()
