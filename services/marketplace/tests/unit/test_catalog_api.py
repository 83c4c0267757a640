"""The catalog: published by platform staff only, searchable in Chinese, hot and similar solutions."""
from __future__ import annotations

from services.marketplace.tests.helpers import Marketplace


def test_only_catalog_staff_publish(market: Marketplace) -> None:
    body = {"name": "x", "category": "security", "summary": "y",
            "skus": [{"code": "C1", "name": "n", "price_minor": 1, "currency": "CNY", "region": "中国大陆"}]}
    assert market.client.post("/marketplace/v1/solutions", json=body, headers=market.reseller()).status_code == 403
    assert market.client.post("/marketplace/v1/solutions", json=body, headers=market.staff("support")).status_code == 403
    assert market.client.post("/marketplace/v1/solutions", json=body).status_code == 401
    assert market.client.post("/marketplace/v1/solutions", json=body, headers=market.staff("sales")).status_code == 201
    assert "solution.published" in market.audit_actions()


def test_bad_solutions_are_422_and_change_nothing(market: Marketplace) -> None:
    base = {"name": "x", "category": "security", "summary": "y",
            "skus": [{"code": "C1", "name": "n", "price_minor": 1, "currency": "CNY", "region": "中国大陆"}]}
    for bad in ({**base, "category": "toys"}, {**base, "skus": []}, {**base, "name": "n" * 201},
                {**base, "skus": [{**base["skus"][0], "price_minor": 10**15}]},
                {**base, "skus": [{**base["skus"][0], "currency": "yuan"}]},
                {**base, "entitlements": [{"product_code": "P", "quantity": 0, "months": 12}]}):
        assert market.client.post("/marketplace/v1/solutions", json=bad, headers=market.staff()).status_code == 422
    assert market.client.get("/marketplace/v1/solutions").get_json()["total"] == 0


def test_a_sku_code_belongs_to_one_solution(market: Marketplace) -> None:
    market.publish(code="DUP")
    body = {"name": "other", "category": "other", "summary": "s",
            "skus": [{"code": "DUP", "name": "n", "price_minor": 1, "currency": "CNY", "region": "r"}]}
    response = market.client.post("/marketplace/v1/solutions", json=body, headers=market.staff())
    assert response.status_code == 409 and response.get_json()["code"] == "sku_code_taken"


def test_keyword_search_matches_chinese_substrings_and_filters_by_category(market: Marketplace) -> None:
    market.publish("SaaSaMe 云迁移工具", code="M1", category="backup_migration", summary="物理机到云的工作负载迁移")
    market.publish("精诚1号云主机", code="H1", category="cloud_apps", summary="弹性计算")
    market.publish("邮件归档与搜索", code="Q1", category="security", summary="Quest 邮件安全")
    names = lambda **q: [s["name"] for s in market.client.get("/marketplace/v1/solutions", query_string=q).get_json()["items"]]  # noqa: E731
    assert names(q="迁移") == ["SaaSaMe 云迁移工具"]
    assert sorted(names(q="云")) == ["SaaSaMe 云迁移工具", "精诚1号云主机"]
    assert names(q="saasame") == ["SaaSaMe 云迁移工具"]
    assert names(q="云", category="cloud_apps") == ["精诚1号云主机"]
    assert names(q="quest") == ["邮件归档与搜索"]
    assert names(q="%") == [] and names(q="_") == []
    assert market.client.get("/marketplace/v1/solutions", query_string={"category": "toys"}).status_code == 422
    assert market.client.get("/marketplace/v1/solutions", query_string={"q": "x" * 101}).status_code == 422


def test_details_show_skus_support_and_similar_solutions(market: Marketplace) -> None:
    first = market.publish("A 备份", code="A1", support={"hours": "9:00-18:00", "email": "support@platform.test"},
                           cases=[{"title": "陕西省国家税务局", "body": "迁移 180 台服务器"}],
                           resources=[{"title": "白皮书", "url": "https://example.com/w.pdf"}])
    market.publish("B 备份", code="B1")
    market.publish("C 安全", code="C1", category="security")
    details = market.client.get(f"/marketplace/v1/solutions/{first['id']}").get_json()
    assert details["skus"][0]["code"] == "A1" and details["support"]["hours"] == "9:00-18:00"
    assert details["cases"][0]["title"] == "陕西省国家税务局"
    assert [s["name"] for s in details["similar"]] == ["B 备份"]


def test_withdrawn_solutions_disappear_for_buyers_but_not_for_staff(market: Marketplace) -> None:
    solution = market.publish()
    assert market.client.post(f"/marketplace/v1/solutions/{solution['id']}/withdraw", headers=market.staff()).status_code == 200
    assert market.client.get(f"/marketplace/v1/solutions/{solution['id']}").status_code == 404
    assert market.client.get(f"/marketplace/v1/solutions/{solution['id']}", headers=market.staff()).status_code == 200
    assert market.client.get("/marketplace/v1/solutions").get_json()["total"] == 0


def test_editing_skus_keeps_codes_and_withdraws_missing_ones(market: Marketplace) -> None:
    solution = market.publish(skus=[{"code": "K1", "name": "基础版", "price_minor": 100, "currency": "CNY", "region": "中国大陆"},
                                    {"code": "K2", "name": "专业版", "price_minor": 200, "currency": "CNY", "region": "中国大陆"}])
    response = market.client.patch(f"/marketplace/v1/solutions/{solution['id']}", headers=market.staff(), json={
        "summary": "新的简介", "skus": [{"code": "K2", "name": "专业版", "price_minor": 250, "currency": "CNY", "region": "中国大陆"}]})
    assert response.status_code == 200
    assert [(s["code"], s["price_minor"]) for s in response.get_json()["skus"]] == [("K2", 250)]
    assert market.client.get("/marketplace/v1/solutions", query_string={"q": "新的"}).get_json()["total"] == 1


def test_hot_solutions_rank_by_sales_then_rating(market: Marketplace) -> None:
    market.publish("冷门", code="X1")
    market.publish("热门", code="Y1")
    from sqlalchemy import update

    from services.marketplace.adapters.orm import solutions
    with market.context.session_factory() as session:
        session.execute(update(solutions).where(solutions.c.name == "热门").values(sales_count=5))
        session.commit()
    hot = market.client.get("/marketplace/v1/solutions/hot").get_json()["items"]
    assert [s["name"] for s in hot] == ["热门", "冷门"]
