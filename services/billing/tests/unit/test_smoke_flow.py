"""The renewal story through the API: price, confirm, too little balance, offline top-up, pay once, extension."""


def test_renewal_is_priced_confirmed_paid_from_balance_and_extends_each_device_once(world, client, headers):
    world.device("D1", "ACME", "2026-01-20")
    world.device("D2", "ACME-SH", "2026-03-31", package_code="RN-Y")
    order = world.renewal("ACME", [("D1", 6), ("D2", 12)])
    assert order["status"] == "pending_payment"
    assert order["amount_minor"] == 6 * 1000 + 12000
    customer = headers.customer("ACME")
    too_low = client.post(f"/billing/v1/orders/{order['id']}/payments", json={"method": "balance"}, headers=customer)
    assert too_low.status_code == 409 and too_low.json["code"] == "insufficient_balance"
    world.top_up_offline("ACME", 20000)
    paid = client.post(
        f"/billing/v1/orders/{order['id']}/payments", json={"method": "balance"}, headers={**customer, "Idempotency-Key": "k1"}
    )
    assert paid.status_code == 201, paid.json
    again = client.post(
        f"/billing/v1/orders/{order['id']}/payments", json={"method": "balance"}, headers={**customer, "Idempotency-Key": "k1"}
    )
    assert again.json == paid.json and again.headers["Idempotent-Replayed"] == "true"
    assert world.balance("ACME") == {"CNY": 2000}
    d1 = world.ok(client.get("/billing/v1/devices/D1", headers=customer))
    d2 = world.ok(client.get("/billing/v1/devices/D2", headers=customer))
    assert (d1["expires_on"], d2["expires_on"]) == ("2026-07-20", "2027-03-31")
