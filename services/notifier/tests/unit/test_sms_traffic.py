"""SMS traffic (ENT-7) in delivery, with a fake traffic client: drawn once per SMS of a tenant, never for
mail or SMS outside tenants; essential SMS (security codes) go out unbilled when nothing can be drawn,
other SMS wait and are retried."""
from __future__ import annotations

import pytest

from services.notifier.domain.traffic import DrawAnswer, DrawOutcome, SmsBilling, Traffic, bill_sms
from services.notifier.service_layer import delivery as delivery_module
from services.notifier.tests import samples
from services.notifier.tests.helpers import RefusingSmsProvider, consume, stored_messages

SMS_CODE = "identity.sms_code.requested.v1"
TENANT = "tenant-1"


class FakeTraffic:
    """Answers draws from a script (the last answer repeats) and records every call."""

    def __init__(self, *answers: DrawAnswer) -> None:
        self.answers = list(answers) or [DrawAnswer(DrawOutcome.DRAWN, remaining=9)]
        self.calls: list[tuple[str, str]] = []

    def draw_sms(self, tenant_id: str, message_id: str) -> DrawAnswer:
        self.calls.append((tenant_id, message_id))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


REFUSED = DrawAnswer(DrawOutcome.REFUSED, "insufficient_quota")
UNAVAILABLE = DrawAnswer(DrawOutcome.UNAVAILABLE, "traffic_unavailable")
DRAWN = DrawAnswer(DrawOutcome.DRAWN, remaining=3)


@pytest.fixture()
def sms_worker(make_worker):
    return make_worker(None)


def with_traffic(parts, traffic):
    parts.delivery.traffic = traffic
    return traffic


def sms_files(var):
    return sorted((var / "sms").glob("*.txt")) if (var / "sms").exists() else []


def test_an_sms_of_a_tenant_draws_one_use_of_its_traffic_and_is_billed(sms_worker, var):
    traffic = with_traffic(sms_worker, FakeTraffic(DRAWN))
    consume(sms_worker, samples.event(SMS_CODE, tenant_id=TENANT))
    [message] = stored_messages(sms_worker)
    assert traffic.calls == [(TENANT, message.id)]
    assert (message.status, message.tenant_id, message.traffic, message.traffic_note) == ("sent", TENANT, "billed", None)
    assert len(sms_files(var)) == 1


@pytest.mark.parametrize("answer, note", [(REFUSED, "insufficient_quota"), (UNAVAILABLE, "traffic_unavailable"),
                                          (DrawAnswer(DrawOutcome.REFUSED, "unknown_product"), "unknown_product")])
def test_a_security_code_goes_out_unbilled_when_nothing_can_be_drawn(sms_worker, var, answer, note):
    with_traffic(sms_worker, FakeTraffic(answer))
    consume(sms_worker, samples.event(SMS_CODE, tenant_id=TENANT))
    [message] = stored_messages(sms_worker)
    assert (message.status, message.traffic, message.traffic_note, message.last_error) == ("sent", "not_billed", note, None)
    assert samples.SMS_CODE in sms_files(var)[0].read_text(encoding="utf-8")


def test_other_sms_wait_for_traffic_and_are_retried(sms_worker, var, clock, monkeypatch):
    monkeypatch.setattr(delivery_module, "is_essential", lambda _event_type: False)
    traffic = with_traffic(sms_worker, FakeTraffic(REFUSED, UNAVAILABLE, DRAWN))
    consume(sms_worker, samples.event(SMS_CODE, tenant_id=TENANT))
    [message] = stored_messages(sms_worker)
    assert (message.status, message.attempts, message.traffic) == ("queued", 1, None)
    assert message.last_error == "SMS traffic not drawn: insufficient_quota"
    assert sms_files(var) == []
    clock.advance(seconds=5)
    sms_worker.delivery.deliver_due()
    assert stored_messages(sms_worker)[0].last_error == "SMS traffic not drawn: traffic_unavailable"
    clock.advance(seconds=30)
    assert sms_worker.delivery.deliver_due() == 1
    [message] = stored_messages(sms_worker)
    assert (message.status, message.attempts, message.traffic) == ("sent", 3, "billed")
    assert len(traffic.calls) == 3 and len(sms_files(var)) == 1


def test_a_message_draws_once_across_failed_sends_and_resends(make_worker, var, clock, client, tokens):
    parts = make_worker(None)
    traffic = with_traffic(parts, FakeTraffic(DRAWN))
    working_sms = parts.delivery.channels.sms
    parts.delivery.channels = delivery_module.Channels(parts.delivery.channels.mail, RefusingSmsProvider())
    consume(parts, samples.event(SMS_CODE, tenant_id=TENANT))
    for pause in (5, 30):
        clock.advance(seconds=pause)
        parts.delivery.deliver_due()
    [message] = stored_messages(parts)
    assert (message.status, message.attempts, message.traffic) == ("queued", 3, "billed")
    parts.delivery.channels = delivery_module.Channels(parts.delivery.channels.mail, working_sms)
    clock.advance(seconds=120)
    assert parts.delivery.deliver_due() == 1
    staff = tokens.headers(org_kind="platform", roles=("support",))
    assert client.post(f"/notifier/v1/messages/{message.id}/resend", headers=staff).status_code == 202
    assert parts.delivery.deliver_due() == 1
    assert traffic.calls == [(TENANT, message.id)], "one draw per message, whatever happens to its sends"
    assert len(sms_files(var)) == 2


def test_sms_outside_tenants_and_mails_draw_nothing(sms_worker):
    traffic = with_traffic(sms_worker, FakeTraffic(DRAWN))
    consume(sms_worker, samples.event(SMS_CODE, tenant_id=None))
    consume(sms_worker, samples.event("identity.tenant.created.v1", tenant_id=TENANT))
    assert traffic.calls == []
    assert {(m.channel, m.status, m.traffic) for m in stored_messages(sms_worker)} == {("sms", "sent", None), ("mail", "sent", None)}


def test_without_a_service_account_sms_go_out_recorded_as_not_billed(sms_worker):
    consume(sms_worker, samples.event(SMS_CODE, tenant_id=TENANT))
    [message] = stored_messages(sms_worker)
    assert (message.status, message.traffic, message.traffic_note) == ("sent", "not_billed", "traffic_not_configured")


def test_the_log_shows_the_traffic_outcome(sms_worker, client, tokens):
    with_traffic(sms_worker, FakeTraffic(REFUSED))
    consume(sms_worker, samples.event(SMS_CODE, tenant_id=TENANT))
    staff = tokens.headers(org_kind="platform", roles=("support",))
    [item] = client.get("/notifier/v1/messages?channel=sms", headers=staff).json["items"]
    assert (item["tenant_id"], item["traffic"], item["traffic_note"]) == (TENANT, "not_billed", "insufficient_quota")


@pytest.mark.parametrize("answer, essential, expected", [
    (DRAWN, True, SmsBilling(True, Traffic.BILLED)),
    (DRAWN, False, SmsBilling(True, Traffic.BILLED)),
    (REFUSED, True, SmsBilling(True, Traffic.NOT_BILLED, "insufficient_quota")),
    (REFUSED, False, SmsBilling(False, None, "insufficient_quota")),
    (UNAVAILABLE, True, SmsBilling(True, Traffic.NOT_BILLED, "traffic_unavailable")),
    (UNAVAILABLE, False, SmsBilling(False, None, "traffic_unavailable")),
    (DrawAnswer(DrawOutcome.NOT_CONFIGURED), False, SmsBilling(True, Traffic.NOT_BILLED, "traffic_not_configured")),
])
def test_the_billing_policy(answer, essential, expected):
    assert bill_sms(answer, essential) == expected
