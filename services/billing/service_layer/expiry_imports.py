"""Bulk expiry maintenance: an uploaded sheet becomes a pending import job; the worker applies it in
batches, each batch committed together with the job's progress, so a row is applied or rejected as a
whole and a restarted worker resumes after the last committed batch."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from services.billing.adapters.orm import devices, expiry_import_rejections, expiry_imports
from services.billing.domain.errors import NotFound
from services.billing.domain.expiry_import import ExpiryRow, RejectedRow
from services.billing.service_layer.companies import Caller, company_tree, require_company, require_in_scope
from shared.uow import UnitOfWork

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
REPORT_LIMIT = 1000


def submit_import(uow: UnitOfWork, caller: Caller, filename: str, content: bytes, company_id: str | None, scope: str) -> dict[str, Any]:
    """Queue a sheet; with a company, rows for devices outside that company (and scope) are rejected."""
    if company_id:
        require_company(uow.session, company_id)
        require_in_scope(uow.session, caller, company_id, "company")
    import_id = str(uuid.uuid4())
    uow.session.execute(
        expiry_imports.insert().values(
            id=import_id,
            status=PENDING,
            filename=filename[:200],
            content=content,
            company_id=company_id,
            scope=scope,
            processed_rows=0,
            applied_rows=0,
            rejected_rows=0,
            created_by=caller.user_id,
            created_at=uow.clock.now(),
        )
    )
    uow.audit("expiry_import.submitted", "expiry_import", import_id, {"filename": filename, "company_id": company_id, "scope": scope})
    return progress(uow.session, import_id)


def next_import(session: Session) -> Any:
    """The oldest import that is pending, or running (a worker stopped during it: resume)."""
    return session.execute(
        select(expiry_imports).where(expiry_imports.c.status.in_((PENDING, RUNNING))).order_by(expiry_imports.c.created_at).limit(1)
    ).first()


def start(uow: UnitOfWork, import_id: str, total_rows: int) -> None:
    uow.session.execute(expiry_imports.update().where(expiry_imports.c.id == import_id).values(status=RUNNING, total_rows=total_rows))


def apply_batch(uow: UnitOfWork, import_id: str, rows: Iterable[ExpiryRow | RejectedRow]) -> None:
    """Apply one batch: reject unknown and out-of-scope devices, update the rest in one statement."""
    session = uow.session
    job = session.execute(select(expiry_imports).where(expiry_imports.c.id == import_id).with_for_update()).one()
    batch = list(rows)
    parsed = [r for r in batch if isinstance(r, ExpiryRow)]
    rejected = [r for r in batch if isinstance(r, RejectedRow)]
    owners = dict(
        session.execute(
            select(devices.c.device_id, devices.c.company_id).where(devices.c.device_id.in_({r.device_id for r in parsed}))
        ).all()
    )
    scope = company_tree(session, job.company_id, job.scope) if job.company_id else None
    updates = []
    for row in parsed:
        if row.device_id not in owners:
            rejected.append(RejectedRow(row.row, row.device_id, "unknown_device", "no device with this id"))
        elif scope is not None and owners[row.device_id] not in scope:
            rejected.append(
                RejectedRow(row.row, row.device_id, "out_of_scope", "the device belongs to a company outside the import's scope")
            )
        else:
            updates.append(row)
    _set_expiries(session, {row.device_id: row.expires_on for row in updates})
    if rejected:
        session.execute(
            expiry_import_rejections.insert(),
            [{"import_id": import_id, "row": r.row, "device_id": r.device_id, "code": r.code, "detail": r.detail} for r in rejected],
        )
    session.execute(
        expiry_imports.update()
        .where(expiry_imports.c.id == import_id)
        .values(
            processed_rows=job.processed_rows + len(batch),
            applied_rows=job.applied_rows + len(updates),
            rejected_rows=job.rejected_rows + len(rejected),
        )
    )


def _set_expiries(session: Session, expiries: dict[str, date]) -> None:
    """One statement per batch: UPDATE … FROM unnest(arrays). Within a batch the last row for a device wins."""
    if not expiries:
        return
    session.execute(
        text(
            "UPDATE devices AS d SET expires_on = v.expires_on "
            "FROM unnest(CAST(:device_ids AS varchar[]), CAST(:expiries AS date[])) AS v(device_id, expires_on) "
            "WHERE d.device_id = v.device_id"
        ),
        {"device_ids": list(expiries), "expiries": list(expiries.values())},
    )


def finish(uow: UnitOfWork, import_id: str, error: str | None = None) -> None:
    """Done (or failed with why); the file is dropped, the counts and the row report stay."""
    uow.session.execute(
        expiry_imports.update()
        .where(expiry_imports.c.id == import_id)
        .values(status=FAILED if error else DONE, error=error, content=None, finished_at=uow.clock.now())
    )
    job = uow.session.execute(select(expiry_imports).where(expiry_imports.c.id == import_id)).one()
    uow.audit(
        "expiry_import.finished", "expiry_import", import_id, {"applied": job.applied_rows, "rejected": job.rejected_rows, "error": error}
    )


def progress(session: Session, import_id: str, caller: Caller | None = None) -> dict[str, Any]:
    job = session.execute(select(expiry_imports).where(expiry_imports.c.id == import_id)).first()
    if job is None or (caller is not None and not caller.staff and job.created_by != caller.user_id):
        raise NotFound("expiry import")
    report = session.execute(
        select(expiry_import_rejections)
        .where(expiry_import_rejections.c.import_id == import_id)
        .order_by(expiry_import_rejections.c.row)
        .limit(REPORT_LIMIT)
    ).all()
    total = job.total_rows
    return {
        "id": job.id,
        "status": job.status,
        "filename": job.filename,
        "company_id": job.company_id,
        "scope": job.scope,
        "total_rows": total,
        "processed_rows": job.processed_rows,
        "applied_rows": job.applied_rows,
        "rejected_rows": job.rejected_rows,
        "percent": round(100 * job.processed_rows / total, 1) if total else (100.0 if job.status == DONE else 0.0),
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "rejections": [{"row": r.row, "device_id": r.device_id, "code": r.code, "detail": r.detail} for r in report],
    }
