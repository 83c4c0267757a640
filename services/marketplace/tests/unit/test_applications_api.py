"""Reseller registration without login, review once by platform staff, and the saga's read-model side."""
from __future__ import annotations

from pathlib import Path

from services.marketplace.service_layer.organisations import record_invited_user, record_user
from services.marketplace.tests.helpers import EXE, PDF, PNG, Marketplace, application_form, files
from shared.envelope import new_event


def submit(market: Marketplace, *uploads: tuple[str, bytes], **form: str):  # type: ignore[no-untyped-def]
    data = {**application_form(**form), "files": files(*uploads)}
    return market.client.post("/marketplace/v1/reseller-applications", data=data, content_type="multipart/form-data")


def test_an_application_with_files_is_stored_with_checksums_on_disk(market: Marketplace, tmp_path: Path) -> None:
    response = submit(market, ("licence.pdf", PDF), ("photo.png", PNG))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "pending" and body["company"] == "蓝云测试科技有限公司"
    assert sorted(f["kind"] for f in body["files"]) == ["pdf", "png"]
    stored = market.context.extras["file_store"]
    assert all(stored.verify(path, f["sha256"]) for f in body["files"]
               for path in [f"{f['sha256'][:2]}/{f['sha256']}"])
    pdf_file = next(f for f in body["files"] if f["kind"] == "pdf")
    download = market.client.get(f"/marketplace/v1/reseller-applications/{body['id']}/files/{pdf_file['id']}",
                                 headers=market.staff())
    assert download.data == PDF


def test_a_disguised_file_is_refused_and_nothing_is_stored(market: Marketplace) -> None:
    response = submit(market, ("licence.pdf", PDF), ("licence2.pdf", EXE))
    assert response.status_code == 422
    assert response.get_json()["code"] == "unsupported_file_type"
    listing = market.client.get("/marketplace/v1/reseller-applications", headers=market.staff())
    assert listing.get_json()["total"] == 0


def test_missing_fields_and_missing_files_are_422(market: Marketplace) -> None:
    assert submit(market).get_json()["code"] == "qualification_files_required"
    response = market.client.post("/marketplace/v1/reseller-applications", data={"company": "x", "files": files(("a.pdf", PDF))},
                                  content_type="multipart/form-data")
    assert response.status_code == 422 and "email" in response.get_json()["errors"]
    assert submit(market, ("a.pdf", PDF), email="not-an-email").status_code == 422


def test_approval_happens_once_and_emits_the_saga_event(market: Marketplace) -> None:
    application_id = submit(market, ("licence.pdf", PDF)).get_json()["id"]
    review = market.client.post(f"/marketplace/v1/reseller-applications/{application_id}/review", headers=market.staff("sales"),
                                json={"decision": "approve", "comment": "资质齐全", "tier": "silver"})
    assert review.status_code == 200 and review.get_json()["status"] == "approved"
    again = market.client.post(f"/marketplace/v1/reseller-applications/{application_id}/review", headers=market.staff(),
                               json={"decision": "reject", "comment": "no"})
    assert again.status_code == 409 and again.get_json()["code"] == "application_already_reviewed"
    [approved] = market.events("marketplace.reseller.approved.v1")
    assert approved["email"] == "an@reseller.test" and approved["tier"] == "silver"
    assert approved["external_ref"] == f"reseller_application:{application_id}"
    assert market.events("marketplace.reseller.rejected.v1") == []
    assert "reseller_application.approved" in market.audit_actions()


def test_rejection_needs_a_comment_and_mails_the_applicant(market: Marketplace) -> None:
    application_id = submit(market, ("licence.pdf", PDF)).get_json()["id"]
    url = f"/marketplace/v1/reseller-applications/{application_id}/review"
    assert market.client.post(url, headers=market.staff(), json={"decision": "reject"}).status_code == 422
    assert market.client.post(url, headers=market.staff(), json={"decision": "reject", "comment": "营业执照模糊"}).status_code == 200
    [rejected] = market.events("marketplace.reseller.rejected.v1")
    assert rejected["recipient"]["email"] == "an@reseller.test" and rejected["comment"] == "营业执照模糊"


def test_only_platform_staff_review_resellers_get_403_visitors_401(market: Marketplace) -> None:
    application_id = submit(market, ("licence.pdf", PDF)).get_json()["id"]
    url = f"/marketplace/v1/reseller-applications/{application_id}/review"
    assert market.client.post(url, json={"decision": "approve"}).status_code == 401
    assert market.client.post(url, headers=market.reseller(), json={"decision": "approve"}).status_code == 403
    reseller_with_staff_role = market.tokens.headers(org_id="r", org_kind="reseller", roles=("platform_admin",))
    assert market.client.post(url, headers=reseller_with_staff_role, json={"decision": "approve"}).status_code == 403
    assert market.client.post("/marketplace/v1/reseller-applications/nope/review", headers=market.staff(),
                              json={"decision": "approve"}).status_code == 404


def test_the_reseller_organisation_links_its_application_and_opens_the_profile(market: Marketplace) -> None:
    application_id = submit(market, ("licence.pdf", PDF)).get_json()["id"]
    market.client.post(f"/marketplace/v1/reseller-applications/{application_id}/review", headers=market.staff(),
                       json={"decision": "approve", "tier": "gold"})
    market.organisation_event("org-r1", external_ref=f"reseller_application:{application_id}", name="蓝云测试")
    application = market.client.get(f"/marketplace/v1/reseller-applications/{application_id}", headers=market.staff()).get_json()
    assert application["reseller_id"] == "org-r1"
    profile = market.client.get("/marketplace/v1/profile", headers=market.reseller("org-r1")).get_json()
    assert profile["tier"] == "gold" and profile["company"] == "蓝云测试科技有限公司" and profile["business_owner"] == "赵益康"
    assert any(b["value"] == "twice a year" for b in profile["benefits"])


def test_staff_change_the_tier(market: Marketplace) -> None:
    reseller = market.known_reseller()
    response = market.client.put(f"/marketplace/v1/resellers/{reseller}/tier", headers=market.staff(), json={"tier": "silver"})
    assert response.status_code == 200 and response.get_json()["tier"] == "silver"
    url = f"/marketplace/v1/resellers/{reseller}/tier"
    assert market.client.put(url, headers=market.staff(), json={"tier": "platinum"}).status_code == 422
    tiers = market.client.get("/marketplace/v1/tiers").get_json()
    assert tiers["tiers"] == ["registered", "silver", "gold"]


def test_invited_channel_users_are_listed_for_their_reseller_only(market: Marketplace) -> None:
    market.known_reseller("reseller-a")
    event = new_event("identity", "identity.user.invited.v1", "u-1", {
        "user_id": "u-1", "org_id": "reseller-a", "org_kind": "reseller", "email": "dist@a.test", "name": "分销用户",
        "roles": ["reseller_user"], "activation_url": "x", "expires_at": "x", "recipient": {}})
    market.handle(record_invited_user, event)
    mine = market.client.get("/marketplace/v1/channel-users", headers=market.reseller("reseller-a")).get_json()
    assert [u["email"] for u in mine["items"]] == ["dist@a.test"]
    theirs = market.client.get("/marketplace/v1/channel-users", headers=market.reseller("reseller-b")).get_json()
    assert theirs["total"] == 0


def test_an_application_larger_than_the_suites_body_limit_is_taken_up_to_the_upload_limit(market: Marketplace) -> None:
    """The upload limit (26 MiB) was set by a hook that ran after the request guard had read the form
    under the suite's 2 MiB: every application with more than 2 MiB of files was a 413."""
    four_mib = PDF + b"0" * (4 * 1024 * 1024)
    response = submit(market, ("licence.pdf", four_mib), ("photo.png", PNG))
    assert response.status_code == 201, response.get_data()[:300]
    over = submit(market, *[(f"f{i}.pdf", PDF + b"0" * (5 * 1024 * 1024 - len(PDF))) for i in range(6)])
    assert over.status_code == 413 and over.mimetype == "application/problem+json"
    too_large_elsewhere = market.client.post("/marketplace/v1/customers", headers=market.reseller(), data=b"x" * (3 * 1024 * 1024),
                                             content_type="application/json")
    assert too_large_elsewhere.status_code == 413  # every other route keeps the suite's limit


def test_a_nul_in_an_uploaded_files_name_is_422_and_nothing_is_stored(market: Marketplace) -> None:
    response = submit(market, ("licence\x00.pdf", PDF))
    assert response.status_code == 422 and response.get_json()["code"] == "unstorable_text", response.get_data()[:300]
    assert market.client.get("/marketplace/v1/reseller-applications", headers=market.staff()).get_json()["total"] == 0


def _user_updated(change: str, status: str, as_of: str, roles: tuple[str, ...] = ("reseller_user",), **extra: str) -> object:
    return new_event("identity", "identity.user.updated.v1", "u-1", {
        "user_id": "u-1", "org_id": "reseller-a", "org_kind": "reseller", "email": "dist@a.test", "name": "分销用户",
        "phone": "13900000000", "roles": list(roles), "status": status, "last_login_at": extra.get("last_login_at"),
        "change": change, "as_of": as_of})


def test_channel_users_follow_identity_roles_state_sign_ins_and_deletions(market: Marketplace) -> None:
    """Issue 19: the list went stale (deleted or re-roled users stayed; no enabled state, no last sign-in)."""
    test_invited_channel_users_are_listed_for_their_reseller_only(market)

    def listed() -> list[dict]:
        return market.client.get("/marketplace/v1/channel-users", headers=market.reseller("reseller-a")).get_json()["items"]

    market.handle(record_user, _user_updated("signed_in", "active", "2026-01-02T10:00:00Z", last_login_at="2026-01-02T10:00:00Z"))
    [user] = listed()
    assert (user["status"], user["enabled"], user["last_login_at"]) == ("active", True, "2026-01-02T10:00:00Z")
    market.handle(record_user, _user_updated("roles_changed", "active", "2026-01-02T11:00:00Z", ("reseller_admin",)))
    market.handle(record_user, _user_updated("disabled", "disabled", "2026-01-02T12:00:00Z", ("reseller_admin",)))
    [user] = listed()
    assert (user["roles"], user["enabled"]) == (["reseller_admin"], False)
    market.handle(record_user, _user_updated("deleted", "deleted", "2026-01-02T13:00:00Z"))
    assert listed() == []
    market.handle(record_user, _user_updated("signed_in", "active", "2026-01-02T10:30:00Z"))  # overtaken: changes nothing
    assert listed() == []
