"""WEB-4: tokens never reach the browser, CSRF on every form, a strict CSP, no open redirect."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from web.security import safe_next
from web.tests.conftest import csrf_of, post_form, sign_in
from web.tests.fake_gateway import PASSWORD, FakeState


@pytest.mark.parametrize("target", [
    "https://evil.example/portal", "//evil.example/portal", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
    "/portal\r\nSet-Cookie: x=1", "http:/portal", "/docs", "/identity/v1/auth/login", "portal", "", None, "/portals",
    "/%2F%2Fevil.example",
])
def test_next_outside_the_app_is_refused(target: str | None) -> None:
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/portal", "/portal/", "/portal/orders?x=1", "/market/", "/portal/orders/by-number/SO-1"])
def test_next_inside_the_app_is_kept(target: str) -> None:
    assert safe_next(target) == target


def test_sign_in_never_redirects_off_site(client: FlaskClient) -> None:
    response = post_form(client, "/portal/login", {"username": "admin@tenant.test", "password": PASSWORD, "next": "https://evil.example/"})

    assert response.headers["Location"] == "/portal/"


def test_language_switch_never_redirects_off_site(client: FlaskClient) -> None:
    response = post_form(client, "/portal/login", {"lang": "en", "next": "//evil.example/"}, action="/portal/language")

    assert response.headers["Location"] == "/portal/"


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(client: FlaskClient, state: FakeState) -> None:
    client.get("/portal/login")

    response = client.post("/portal/login", data={"username": "admin@tenant.test", "password": PASSWORD})

    assert response.status_code == 400
    assert "表单已失效" in response.get_data(as_text=True)
    assert not [c for c in state.calls if c[1] == "/identity/v1/auth/login"]


def test_a_csrf_token_of_another_session_is_refused(app, client: FlaskClient, state: FakeState) -> None:
    with app.test_client() as other:
        foreign = csrf_of(other.get("/portal/login").get_data(as_text=True))
    sign_in(client)
    calls = len(state.calls)

    response = client.post("/portal/logout", data={"csrf_token": foreign})

    assert response.status_code == 400
    assert len(state.calls) == calls
    assert client.get("/portal/").status_code == 200  # still signed in


def test_every_page_carries_a_strict_content_security_policy(client: FlaskClient) -> None:
    for path in ("/portal/login", "/market/", "/portal/nowhere"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_style(client: FlaskClient) -> None:
    sign_in(client)
    for path in ("/portal/", "/portal/login", "/portal/password"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "<style" not in html and " style=" not in html and " onclick=" not in html


def test_tokens_stay_on_the_server(client: FlaskClient, state: FakeState) -> None:
    response = sign_in(client)

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("portal_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    issued = [c for c in state.calls if c[1] == "/identity/v1/auth/login"]
    assert issued
    html = client.get("/portal/").get_data(as_text=True)
    for refresh in list(state.refresh_tokens):
        assert refresh not in cookie and refresh not in html
    assert "eyJ" not in cookie and "eyJ" not in html  # no JWT anywhere the browser sees


def test_sign_in_gives_a_new_session_id(client: FlaskClient) -> None:
    before = client.get("/portal/login").headers["Set-Cookie"].split(";")[0]

    after = sign_in(client).headers["Set-Cookie"].split(";")[0]

    assert before != after


def test_the_session_cookie_is_secure_over_https(client: FlaskClient) -> None:
    response = client.get("/portal/login", headers={"X-Forwarded-Proto": "https"})

    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers


def test_a_form_sent_after_the_session_ended_leads_to_sign_in_and_back(client: FlaskClient, state: FakeState) -> None:
    sign_in(client)
    page = client.get("/portal/enterprises").get_data(as_text=True)
    client.delete_cookie("portal_session")  # the idle timeout ended the session
    calls = len(state.calls)

    response = client.post("/portal/enterprises", data={"csrf_token": csrf_of(page), "name": "x", "tax_id": "y"})

    assert response.status_code == 302 and response.headers["Location"] == "/portal/login?next=/portal/enterprises"
    assert len(state.calls) == calls
