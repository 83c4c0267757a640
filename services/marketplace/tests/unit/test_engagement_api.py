"""Consultation tickets (≤300 characters, attachment), trial requests and their notification events."""
from __future__ import annotations

from services.marketplace.tests.helpers import EXE, PNG, Marketplace, files

TICKET = {"service_type": "技术咨询", "category": "迁移", "subject": "迁移 180 台服务器", "details": "周末两天内完成迁移可以吗？",
          "name": "安可", "phone": "13653812334", "email": "an@reseller.test", "company": "蓝云"}


def test_a_ticket_as_json_is_stored_and_mailed(market: Marketplace) -> None:
    response = market.client.post("/marketplace/v1/tickets", json=TICKET)
    assert response.status_code == 201, response.get_json()
    [event] = market.events("marketplace.ticket.created.v1")
    assert event["ticket_id"] == response.get_json()["id"] and event["recipient"]["email"] == "an@reseller.test"


def test_a_ticket_with_an_attachment_is_multipart(market: Marketplace) -> None:
    data = {**TICKET, "attachment": files(("screen.png", PNG))[0]}
    response = market.client.post("/marketplace/v1/tickets", data=data, content_type="multipart/form-data", headers=market.reseller())
    assert response.status_code == 201 and response.get_json()["attachment_id"]
    assert response.get_json()["reseller_id"] == "reseller-a"


def test_details_over_300_characters_or_a_disguised_attachment_are_refused(market: Marketplace) -> None:
    assert market.client.post("/marketplace/v1/tickets", json={**TICKET, "details": "详" * 301}).status_code == 422
    assert market.client.post("/marketplace/v1/tickets", json={**TICKET, "details": "详" * 300}).status_code == 201
    data = {**TICKET, "attachment": files(("readme.pdf", EXE))[0]}
    refused = market.client.post("/marketplace/v1/tickets", data=data, content_type="multipart/form-data")
    assert refused.status_code == 422 and refused.get_json()["code"] == "unsupported_file_type"
    assert len(market.events("marketplace.ticket.created.v1")) == 1


def test_tickets_are_listed_per_reseller_and_all_for_support(market: Marketplace) -> None:
    market.client.post("/marketplace/v1/tickets", json=TICKET, headers=market.reseller("reseller-a"))
    market.client.post("/marketplace/v1/tickets", json=TICKET, headers=market.reseller("reseller-b", user="b"))
    assert market.client.get("/marketplace/v1/tickets", headers=market.reseller("reseller-a")).get_json()["total"] == 1
    assert market.client.get("/marketplace/v1/tickets", headers=market.staff("support")).get_json()["total"] == 2


def test_a_trial_request_names_the_solution(market: Marketplace) -> None:
    solution = market.publish("Z_Product")
    body = {"name": "安可", "email": "an@reseller.test", "phone": "13653812334", "company": "蓝云", "remark": "请尽快"}
    assert market.client.post(f"/marketplace/v1/solutions/{solution['id']}/trials", json=body).status_code == 201
    [event] = market.events("marketplace.trial.requested.v1")
    assert event["solution_name"] == "Z_Product"
    assert market.client.post("/marketplace/v1/solutions/unknown/trials", json=body).status_code == 404
    assert market.client.post(f"/marketplace/v1/solutions/{solution['id']}/trials", json={**body, "email": "x"}).status_code == 422
