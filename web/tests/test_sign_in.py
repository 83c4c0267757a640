"""登录, 修改密码 with 获取验证码, sign-out, session expiry with refresh, the invitation link."""
from __future__ import annotations

import re

from flask.testing import FlaskClient

from web.tests.conftest import csrf_of, post_form, sign_in
from web.tests.fake_gateway import NEW_PASSWORD, PASSWORD, FakeState


def test_the_portal_sends_an_anonymous_visitor_to_sign_in_and_back(client: FlaskClient) -> None:
    response = client.get("/portal/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/login?next=/portal/"


def test_sign_in_page_is_in_chinese_by_default(client: FlaskClient) -> None:
    html = client.get("/portal/login").get_data(as_text=True)

    assert '<html lang="zh-CN">' in html
    assert "<h1>登录</h1>" in html
    assert 'for="username">账号</label>' in html


def test_a_signed_in_admin_lands_on_the_portal_home(client: FlaskClient) -> None:
    response = sign_in(client)

    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    page = client.get("/portal/").get_data(as_text=True)
    assert "admin@tenant.test" in page


def test_a_wrong_password_is_said_in_words_on_the_form_in_chinese(client: FlaskClient, state: FakeState) -> None:
    response = sign_in(client, password="wrong")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "账号或密码错误。" in html
    assert "invalid_credentials" not in html
    assert 'value="admin@tenant.test"' in html  # what was typed stays, the password does not
    assert "wrong" not in re.findall(r'name="password"[^>]*>', html)[0]


def test_a_wrong_password_is_said_in_english_after_switching_the_language(client: FlaskClient) -> None:
    post_form(client, "/portal/login", {"lang": "en", "next": "/portal/login"}, action="/portal/language")

    html = sign_in(client, password="wrong").get_data(as_text=True)

    assert '<html lang="en">' in html
    assert "The account or password is wrong." in html


def test_throttled_sign_in_says_how_long_to_wait(client: FlaskClient, state: FakeState) -> None:
    state.login_refusal = (429, "too_many_attempts", {"retry_after": 300})

    response = sign_in(client)

    assert response.status_code == 429
    assert "登录失败次数过多，请 5 分钟后再试。" in response.get_data(as_text=True)


def test_empty_fields_are_refused_by_the_form_without_calling_the_api(client: FlaskClient, state: FakeState) -> None:
    response = post_form(client, "/portal/login", {"username": "", "password": ""})

    assert response.status_code == 422
    assert response.get_data(as_text=True).count("必填。") == 2
    assert not [c for c in state.calls if c[1] == "/identity/v1/auth/login"]


def test_the_next_page_is_opened_after_sign_in(client: FlaskClient) -> None:
    response = post_form(client, "/portal/login?next=/portal/orders", {"username": "admin@tenant.test", "password": PASSWORD,
                                                                       "next": "/portal/orders"})

    assert response.headers["Location"] == "/portal/orders"


def test_first_sign_in_must_change_the_password_with_an_sms_code(client: FlaskClient, state: FakeState) -> None:
    response = sign_in(client, "new@tenant.test")
    assert response.headers["Location"].startswith("/portal/password")
    assert client.get("/portal/orders").headers["Location"].startswith("/portal/password")  # nothing else until changed

    page = client.get("/portal/password").get_data(as_text=True)
    assert "获取验证码" in page and "修改密码" in page
    sent = client.post("/portal/password/code", data={"csrf_token": csrf_of(page)}, headers={"HX-Request": "true"})
    assert "验证码已发送至 138****0000" in sent.get_data(as_text=True)

    changed = client.post("/portal/password", data={"csrf_token": csrf_of(page), "old_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                    "confirm_password": NEW_PASSWORD, "sms_code": "123456"})
    assert changed.status_code == 302 and changed.headers["Location"] == "/portal/"
    after = client.get("/portal/orders")
    assert after.status_code == 200
    assert "密码已修改。" in after.get_data(as_text=True)


def test_a_wrong_sms_code_and_a_weak_password_are_shown_on_their_fields(client: FlaskClient, state: FakeState) -> None:
    sign_in(client, "new@tenant.test")
    page = client.get("/portal/password").get_data(as_text=True)

    def change(new: str, confirm: str, code: str):
        return client.post("/portal/password", data={"csrf_token": csrf_of(page), "old_password": PASSWORD,
                                                     "new_password": new, "confirm_password": confirm, "sms_code": code})

    wrong_code = change(NEW_PASSWORD, NEW_PASSWORD, "999999")
    weak = change("alllowercase1", "alllowercase1", "123456")
    differ = change(NEW_PASSWORD, "other", "123456")

    assert wrong_code.status_code == 422
    assert re.search(r'id="sms_code-error">验证码错误或已过期。', wrong_code.get_data(as_text=True))
    assert "需包含小写字母、大写字母、数字、其他字符中的至少三类。" in weak.get_data(as_text=True)
    assert "两次输入的密码不一致。" in differ.get_data(as_text=True)
    assert state.users["new@tenant.test"]["must_change"]


def test_asking_for_codes_too_often_is_said_in_words(client: FlaskClient, state: FakeState) -> None:
    sign_in(client, "new@tenant.test")
    state.extra["sms_rate_limited"] = True
    page = client.get("/portal/password").get_data(as_text=True)

    sent = client.post("/portal/password/code", data={"csrf_token": csrf_of(page)}, headers={"HX-Request": "true"})

    assert "验证码刚刚已发送，请 42 秒后再获取。" in sent.get_data(as_text=True)


def test_an_expired_access_token_is_refreshed_without_the_user_noticing(client: FlaskClient, state: FakeState) -> None:
    state.access_seconds = 5  # under the refresh margin: refreshed before the next call
    sign_in(client, "new@tenant.test")
    page = client.get("/portal/password").get_data(as_text=True)

    sent = client.post("/portal/password/code", data={"csrf_token": csrf_of(page)}, headers={"HX-Request": "true"})

    assert "验证码已发送" in sent.get_data(as_text=True)
    assert [c[1] for c in state.calls].count("/identity/v1/auth/refresh") == 1


def test_a_revoked_session_sends_the_user_back_to_sign_in(client: FlaskClient, state: FakeState) -> None:
    state.access_seconds = 5
    sign_in(client, "new@tenant.test")
    page = client.get("/portal/password").get_data(as_text=True)
    state.refresh_tokens.clear()  # revoked elsewhere (disabled admin, password changed on another device)

    response = client.post("/portal/password/code", data={"csrf_token": csrf_of(page)})

    assert response.status_code == 302 and response.headers["Location"].startswith("/portal/login")
    assert "登录已失效，请重新登录。" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_sign_out_revokes_the_refresh_token_and_ends_the_session(client: FlaskClient, state: FakeState) -> None:
    sign_in(client)
    assert state.refresh_tokens

    response = post_form(client, "/portal/", {}, action="/portal/logout")

    assert response.headers["Location"] == "/portal/login"
    assert not state.refresh_tokens
    assert client.get("/portal/").status_code == 302


def test_the_invitation_link_sets_the_password_and_signs_in(client: FlaskClient, state: FakeState) -> None:
    state.invitations["invite-token-123"] = "invited@tenant.test"

    landing = client.get("/portal/activate?token=invite-token-123")
    assert landing.headers["Location"] == "/portal/activate"  # the token leaves the address bar at once
    page = client.get("/portal/activate").get_data(as_text=True)
    assert "invite-token-123" not in page and "激活账号" in page

    short = client.post("/portal/activate", data={"csrf_token": csrf_of(page), "password": "Short1!", "confirm_password": "Short1!"})
    assert "至少 10 个字符。" in short.get_data(as_text=True)
    done = client.post("/portal/activate", data={"csrf_token": csrf_of(page), "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})

    assert done.headers["Location"] == "/portal/"
    assert "invited@tenant.test" in client.get("/portal/").get_data(as_text=True)


def test_a_used_invitation_link_is_said_in_words(client: FlaskClient, state: FakeState) -> None:
    client.get("/portal/activate?token=unknown")
    page = client.get("/portal/activate").get_data(as_text=True)

    response = client.post("/portal/activate", data={"csrf_token": csrf_of(page), "password": NEW_PASSWORD,
                                                     "confirm_password": NEW_PASSWORD})

    assert "该激活链接无效、已使用或已过期，请联系管理员重新邀请。" in response.get_data(as_text=True)


def test_the_activation_mail_link_opens_the_order_after_sign_in(client: FlaskClient) -> None:
    first = client.get("/portal/activate?order_no=SO-2026-0001")
    assert first.headers["Location"] == "/portal/orders/by-number/SO-2026-0001"
    second = client.get(first.headers["Location"])
    assert second.headers["Location"] == "/portal/login?next=/portal/orders/by-number/SO-2026-0001"

    response = post_form(client, second.headers["Location"], {"username": "admin@tenant.test", "password": PASSWORD,
                                                              "next": "/portal/orders/by-number/SO-2026-0001"})

    assert response.headers["Location"] == "/portal/orders/by-number/SO-2026-0001"


def test_the_gateway_call_continues_the_page_request_s_trace(client: FlaskClient, state: FakeState) -> None:
    page_trace = "0af7651916cd43dd8448eb211c80319c"

    client.post("/portal/login", headers={"traceparent": f"00-{page_trace}-b7ad6b7169203331-01"},
                data={"csrf_token": csrf_of(client.get("/portal/login").get_data(as_text=True)), "username": "a@b.c", "password": "x"})

    sent = state.extra["traceparents"][-1]
    assert sent and sent.split("-")[1] == page_trace


def test_a_user_who_is_not_a_tenant_admin_gets_no_tenant_menu(client: FlaskClient, state: FakeState) -> None:
    state.users["sales@platform.test"] = {"id": "u-9", "org_id": "platform", "roles": ["sales"], "password": PASSWORD, "must_change": False}

    sign_in(client, "sales@platform.test")
    html = client.get("/portal/").get_data(as_text=True)

    assert "/portal/orders" not in html and "您所在角色的页面尚未开放" in html


def test_the_browser_s_address_goes_with_the_sign_in(client: FlaskClient, state: FakeState) -> None:
    page = client.get("/portal/login").get_data(as_text=True)

    client.post("/portal/login", data={"csrf_token": csrf_of(page), "username": "a@b.c", "password": "x"},
                headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})

    assert state.extra["forwarded_for"][-1] == "203.0.113.9"
