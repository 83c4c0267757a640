"""The CloudEvents envelope: what is valid, what is refused."""
import pytest

from shared.envelope import InvalidEnvelope, new_event, validate_event


def test_new_event_is_a_valid_structured_cloudevent():
    event = new_event("licensing", "licensing.license.authorized.v1", "lic-1", {"tax_id": "X"}, tenant_id="t-1")
    body = event.to_dict()
    assert body["specversion"] == "1.0"
    assert body["source"] == "/services/licensing"
    assert body["tenantid"] == "t-1"
    assert body["correlationid"]
    assert validate_event(body) == event
    assert event.version == 1


@pytest.mark.parametrize(
    "change",
    [
        {"type": "licensing.license.authorized"},
        {"type": "Licensing.license.authorized.v1"},
        {"specversion": "0.3"},
        {"id": "not-a-uuid"},
        {"source": "licensing"},
        {"time": "yesterday"},
        {"data": "text"},
    ],
)
def test_invalid_envelopes_are_refused(change):
    body = new_event("licensing", "licensing.license.authorized.v1", "lic-1", {}).to_dict() | change
    with pytest.raises(InvalidEnvelope):
        validate_event(body)


def test_a_service_cannot_emit_another_services_event():
    with pytest.raises(InvalidEnvelope):
        new_event("billing", "licensing.license.authorized.v1", "x", {})
