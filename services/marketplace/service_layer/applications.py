"""Reseller registration (no login) and its one-time review by platform staff (saga step 1)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from services.marketplace.adapters.file_store import FileStore
from services.marketplace.adapters.orm import reseller_applications, stored_files
from services.marketplace.domain.file_types import MAX_FILES_PER_APPLICATION, FileRefused, check_file
from services.marketplace.service_layer.common import new_id, one_or_404
from shared.errors import Problem
from shared.uow import UnitOfWork

APPROVED_EVENT = "marketplace.reseller.approved.v1"
REJECTED_EVENT = "marketplace.reseller.rejected.v1"


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content: bytes


def store_files(uow: UnitOfWork, store: FileStore, owner_type: str, owner_id: str, files: list[UploadedFile]) -> list[str]:
    """Checks every file by content first (nothing is stored if one is refused), then stores them all."""
    kinds = []
    for upload in files:
        try:
            kinds.append(check_file(upload.filename, upload.content))
        except FileRefused as refused:
            raise Problem(422, refused.code, refused.detail, errors={"files": [refused.detail]}) from None
    ids = []
    for upload, (kind, media_type) in zip(files, kinds, strict=True):
        blob = store.put(upload.content)
        file_id = new_id()
        uow.session.execute(stored_files.insert().values(
            id=file_id, owner_type=owner_type, owner_id=owner_id, original_name=upload.filename[:255], kind=kind,
            media_type=media_type, size_bytes=blob.size_bytes, sha256=blob.sha256, storage_path=blob.relative_path,
            created_at=uow.clock.now(),
        ))
        ids.append(file_id)
    return ids


def submit_application(uow: UnitOfWork, store: FileStore, details: dict[str, Any], files: list[UploadedFile]) -> str:
    if not files:
        raise Problem(422, "qualification_files_required", "upload at least one qualification file",
                      errors={"files": ["at least one jpg, png or pdf file"]})
    if len(files) > MAX_FILES_PER_APPLICATION:
        raise Problem(422, "too_many_files", f"at most {MAX_FILES_PER_APPLICATION} files",
                      errors={"files": [f"at most {MAX_FILES_PER_APPLICATION} files"]})
    application_id = new_id()
    uow.session.execute(reseller_applications.insert().values(
        id=application_id, status="pending", created_at=uow.clock.now(), **details,
    ))
    store_files(uow, store, "reseller_application", application_id, files)
    return application_id


def review_application(uow: UnitOfWork, application_id: str, decision: str, comment: str | None, tier: str) -> None:
    """Approve or reject exactly once: the guarded update lets only one concurrent reviewer through."""
    if decision == "reject" and not (comment or "").strip():
        raise Problem(422, "comment_required", "a rejection needs a comment", errors={"comment": ["required to reject"]})
    application = one_or_404(uow.session, select(reseller_applications).where(reseller_applications.c.id == application_id),
                             "application")
    status = "approved" if decision == "approve" else "rejected"
    result = uow.session.execute(
        update(reseller_applications)
        .where(reseller_applications.c.id == application_id, reseller_applications.c.status == "pending")
        .values(status=status, review_comment=comment, reviewed_by=uow.actor.id, reviewed_at=uow.clock.now(),
                tier=tier if decision == "approve" else None)
    )
    if result.rowcount != 1:
        raise Problem(409, "application_already_reviewed", "this application has already been reviewed")
    uow.audit(f"reseller_application.{status}", "reseller_application", application_id, {"comment": comment, "tier": tier})
    if decision == "approve":
        uow.emit(APPROVED_EVENT, application_id, _approved_data(application, tier))
    else:
        uow.emit(REJECTED_EVENT, application_id, {
            "application_id": application_id, "company": application.company, "comment": comment,
            "recipient": {"email": application.email, "phone": application.phone, "name": application.contact_name,
                          "language": None},
        })


def _approved_data(application: Any, tier: str) -> dict[str, Any]:
    return {
        "application_id": application.id,
        "company": application.company,
        "contact_name": application.contact_name,
        "email": application.email,
        "phone": application.phone,
        "position": application.position,
        "address": application.address,
        "business_owner": application.business_owner,
        "tier": tier,
        "external_ref": f"reseller_application:{application.id}",
    }


def application_files(uow: UnitOfWork, application_id: str) -> list[Any]:
    return list(uow.session.execute(
        select(stored_files).where(stored_files.c.owner_type == "reseller_application", stored_files.c.owner_id == application_id)
        .order_by(stored_files.c.created_at, stored_files.c.id)
    ))
