"""`/portal` and `/market` go to the web app (same origin as the API), anonymous at the edge."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, request

from gateway.fastpath import web_page


def web_stub() -> Flask:
    app = Flask("stub-web")

    @app.route("/<path:rest>", methods=["GET", "POST"])
    def page(rest: str) -> Response:
        response = jsonify(path=request.path, query=request.query_string.decode(), cookie=request.headers.get("Cookie"),
                           forwarded_proto=request.headers.get("X-Forwarded-Proto"), forwarded_host=request.headers.get("X-Forwarded-Host"))
        response.headers.add("Set-Cookie", "portal_session=abc; HttpOnly; Path=/; SameSite=Lax")
        return response

    return app


def test_portal_pages_static_files_and_the_storefront_reach_the_web_app(make_gateway: Callable[..., Flask],
                                                                          serve: Callable[[Any], str]) -> None:
    client = make_gateway(web_url=serve(web_stub())).test_client(use_cookies=False)

    for path in ("/portal", "/portal/login?next=%2Fportal%2Forders", "/portal/static/css/portal.css", "/market", "/market/solutions"):
        response = client.get(path, headers={"Cookie": "portal_session=xyz"})
        assert response.status_code == 200, path
        assert response.json["path"] == path.partition("?")[0]
        assert response.json["cookie"] == "portal_session=xyz"
        assert response.json["forwarded_host"] == "localhost"
        assert response.headers.getlist("Set-Cookie") == ["portal_session=abc; HttpOnly; Path=/; SameSite=Lax"]


def test_a_page_request_with_a_bad_bearer_token_still_reaches_the_web_app(make_gateway: Callable[..., Flask],
                                                                          serve: Callable[[Any], str]) -> None:
    client = make_gateway(web_url=serve(web_stub())).test_client(use_cookies=False)

    response = client.post("/portal/login", headers={"Authorization": "Bearer forged"}, data={"username": "a"})

    assert response.status_code == 200  # the web app keeps its own sessions; the API would have said 401


def test_look_alike_paths_are_not_pages() -> None:
    assert web_page("/portal") and web_page("/portal/") and web_page("/market/x")
    assert not web_page("/portals") and not web_page("/marketplace/v1/solutions") and not web_page("/web/v1/x")


def test_without_a_web_app_the_pages_are_404(make_gateway: Callable[..., Flask]) -> None:
    client = make_gateway(web_url=None).test_client()

    assert client.get("/portal/login").status_code == 404


def test_a_web_app_that_is_down_is_a_502(make_gateway: Callable[..., Flask], closed_urls: dict[str, str]) -> None:
    client = make_gateway(web_url=closed_urls["notifier"]).test_client()

    response = client.get("/portal/login")

    assert response.status_code == 502
    assert response.json["service"] == "web"


def test_a_browser_gets_a_page_in_words_when_the_web_app_is_down(make_gateway: Callable[..., Flask], closed_urls: dict[str, str]) -> None:
    client = make_gateway(web_url=closed_urls["notifier"]).test_client()

    response = client.get("/portal/login", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})

    assert response.status_code == 502
    assert response.content_type == "text/html; charset=utf-8"
    page = response.get_data(as_text=True)
    assert "门户服务暂时无法访问" in page and "The portal cannot be reached" in page
