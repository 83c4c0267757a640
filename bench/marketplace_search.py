"""Benchmark: p95 latency of the marketplace catalog search on 10,000 solutions.

Seeds 10,000 published solutions (Chinese and Latin names, summaries, SKUs) straight into a fresh
database, then times `GET /marketplace/v1/solutions?q=&category=` through the Flask app (routing,
validation, query, serialisation), on PostgreSQL (TEST_POSTGRES_URL's server, else an embedded one;
the search is served by the pg_trgm GIN index). Run: `.venv/bin/python bench/marketplace_search.py`.
"""
from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from services.marketplace.adapters.orm import skus, solutions  # noqa: E402
from services.marketplace.config import SERVICE  # noqa: E402
from services.marketplace.service_layer.catalog import CATEGORIES, search_text  # noqa: E402
from shared.clock import FrozenClock  # noqa: E402
from shared.migrations import upgrade  # noqa: E402
from shared.testkit import TemporaryPostgres, TokenFactory, postgres_admin_url  # noqa: E402

SOLUTIONS = 10_000
QUERIES = 300
WORDS = ["云", "迁移", "备份", "安全", "邮件", "归档", "主机", "数据", "发票", "税务", "网关", "容灾", "办公", "协同", "存储",
         "Azure", "Office", "Backup", "Cloud", "Transport", "Power", "Sky", "Audit", "Quest", "Agile"]
KEYWORDS = ["迁移", "云主机", "邮件归档", "容灾", "税务", "backup", "azure", "office 365", "数据安全", "不存在的词"]


def seed(database_url: str) -> None:
    from shared.db import make_engine

    rng = random.Random(7)
    engine = make_engine(database_url)
    now = FrozenClock().now()
    solution_rows, sku_rows = [], []
    for index in range(SOLUTIONS):
        name = "".join(rng.sample(WORDS, 3)) + f" {index}"
        summary = "，".join(rng.sample(WORDS, 5)) + "一站式解决方案"
        sku = {"id": str(uuid.uuid4()), "code": f"S-{index:05d}", "name": rng.choice(["基础版", "专业版", "企业版"]),
               "price_minor": rng.randint(100, 10**6), "currency": "CNY", "region": "中国大陆", "active": True}
        solution_id = str(uuid.uuid4())
        solution_rows.append({
            "id": solution_id, "name": name, "category": rng.choice(CATEGORIES), "summary": summary, "overview": None,
            "cases": [], "resources": [], "support": {}, "similar_ids": [], "entitlements": [], "tax_rate_bp": 600,
            "search_text": search_text(name, summary, [sku]), "published": True, "sales_count": rng.randint(0, 500),
            "rating_sum": 0, "rating_count": 0, "created_at": now, "updated_at": now})
        sku_rows.append({**sku, "solution_id": solution_id})
    with engine.begin() as connection:
        connection.execute(insert(solutions), solution_rows)
        connection.execute(insert(skus), sku_rows)
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE solutions")
    engine.dispose()


def measure(database_url: str, label: str) -> None:
    from services.marketplace.tests.conftest import app_on

    upgrade(SERVICE, database_url)
    seed(database_url)
    with tempfile.TemporaryDirectory() as uploads:
        app = app_on(database_url, Path(uploads), TokenFactory(), FrozenClock())
        client = app.test_client()
        rng = random.Random(11)
        timings = []
        for index in range(QUERIES):
            params = {"q": rng.choice(KEYWORDS), "page_size": 20}
            if index % 3 == 0:
                params["category"] = rng.choice(CATEGORIES)
            started = time.perf_counter()
            response = client.get("/marketplace/v1/solutions", query_string=params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_json()
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"{label}: {SOLUTIONS} solutions, {QUERIES} searches: p50 {statistics.median(timings):.1f} ms, "
          f"p95 {p95:.1f} ms, max {timings[-1]:.1f} ms")


def main() -> None:
    admin, reason = postgres_admin_url()
    if admin is None:
        print(f"postgresql: skipped ({reason})")
        return
    database = TemporaryPostgres(admin).create()
    try:
        measure(database.url, "postgresql (pg_trgm GIN)")
    finally:
        database.drop()


if __name__ == "__main__":
    main()
