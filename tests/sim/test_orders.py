"""The simulator's order engine: all four order types, both rejection reasons, invalid fields."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_KEY
from tests.sim import doc_examples as doc

TOPIC = f"api:{TEST_KEY}"


def order(token="2885", kind="market", side="B", qty=1, price=0, trigger=0, ltp=0, **extra):
    return {"token_number": token, "market_limit_sl": kind, "price": price, "order_type": side,
            "trigger_price": trigger, "validity": "Day", "quantity": qty, "ltp": ltp, **extra}


async def _responses(client, n):
    return [(await client.event("order_response"))["payload"] for _ in range(n)]


async def test_sell_market_order_executes_with_buy_sell_2(joined) -> None:
    await joined.send(TOPIC, "order", order(side="S", qty=3))
    pending, executed = await _responses(joined, 2)
    assert pending["buy_sell"] == "2" and executed["status"] == "Executed" and executed["volume"] == 3


@pytest.mark.parametrize("side", ["B", "S"])
async def test_limit_waits_until_market_crosses(sim, joined, side) -> None:
    ltp = sim.market.ltp("2885")
    away = ltp - 5000 if side == "B" else ltp + 5000  # ₹50 away: the walk won't reach it in this test
    await joined.send(TOPIC, "order", order(kind="limit", side=side, price=away, ltp=ltp))
    (pending,) = await _responses(joined, 1)
    assert pending["status"] == "Pending" and pending["price"] == float(away)
    assert len(sim.engine.open_orders) == 1
    sim.market.set_ltp("2885", away - 100 if side == "B" else away + 100)
    sim.engine.on_market()
    (executed,) = await _responses(joined, 1)
    assert executed["status"] == "Executed" and executed["executed_price"] == float(away)
    assert executed["order_number"] == pending["order_number"]


async def test_marketable_limit_fills_at_better_price(sim, joined) -> None:
    ltp = sim.market.ltp("2885")
    sim.market.set_ltp("2885", ltp)
    await joined.send(TOPIC, "order", order(kind="limit", side="B", price=ltp + 10000, ltp=ltp))
    _pending, executed = await _responses(joined, 2)
    assert executed["status"] == "Executed" and executed["executed_price"] <= ltp + 10000


@pytest.mark.parametrize("side", ["B", "S"])
async def test_sl_waits_for_trigger_then_behaves_as_limit(sim, joined, side) -> None:
    ltp = sim.market.ltp("2885")
    if side == "B":
        trigger, price = ltp + 5000, ltp + 5100
    else:
        trigger, price = ltp - 5000, ltp - 5100
    await joined.send(TOPIC, "order", order(kind="sl", side=side, price=price, trigger=trigger, ltp=ltp))
    (pending,) = await _responses(joined, 1)
    assert pending["status"] == "Pending" and pending["trigger_price"] == float(trigger)
    sim.engine.on_market()
    assert len(sim.engine.open_orders) == 1  # not triggered yet
    sim.market.set_ltp("2885", trigger)
    sim.engine.on_market()
    (executed,) = await _responses(joined, 1)
    assert executed["status"] == "Executed"
    fill = executed["executed_price"]
    assert (fill <= price) if side == "B" else (fill >= price)


@pytest.mark.parametrize("side", ["B", "S"])
async def test_slm_waits_for_trigger_then_executes_at_market(sim, joined, side) -> None:
    ltp = sim.market.ltp("2885")
    trigger = ltp + 5000 if side == "B" else ltp - 5000
    await joined.send(TOPIC, "order", order(kind="slm", side=side, trigger=trigger, ltp=ltp))
    (pending,) = await _responses(joined, 1)
    assert pending["status"] == "Pending"
    beyond = trigger + 50 if side == "B" else trigger - 50
    sim.market.set_ltp("2885", beyond)
    sim.engine.on_market()
    (executed,) = await _responses(joined, 1)
    assert executed["status"] == "Executed" and executed["executed_price"] == float(beyond)


async def test_unknown_token_rejected_invalid_symbol(joined) -> None:
    await joined.send(TOPIC, "order", order(token="999999"))
    (rejected,) = await _responses(joined, 1)
    assert rejected["status"] == "Rejected" and rejected["error"] == "Invalid Symbol"
    assert rejected["message"] == "Order has been Rejected" and rejected["token_number"] == "999999"


async def test_margin_limit_rejection_is_configurable(sim, joined) -> None:
    sim.engine.margin_limit = 500_000_00  # ₹5 lakh: the doc's NIFTY order (₹66k margin) now passes
    await joined.send(TOPIC, "order", doc.NIFTY_REQUEST)
    (first,) = await _responses(joined, 1)
    # ... and meets the lot-size rule instead (25 is not a multiple of NIFTY's 65 since the Jan 2026 contracts)
    assert first["status"] == "Rejected" and "lot size 65" in first["error"]
    await joined.send(TOPIC, "order", {**doc.NIFTY_REQUEST, "quantity": 65})
    pending, executed = await _responses(joined, 2)
    assert pending["status"] == "Pending" and pending["required_margin"] > 0 and executed["status"] == "Executed"
    await joined.send(TOPIC, "order", {**doc.NIFTY_REQUEST, "quantity": 650})
    (rejected,) = await _responses(joined, 1)
    assert rejected["error"] == "Margin limit exceeded"


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"order_type": "X"}, "order_type"),
        ({"market_limit_sl": "stop"}, "market_limit_sl"),
        ({"validity": "IOC"}, "validity"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": "lots"}, "quantity"),
        ({"price": -5}, "price"),
        ({"market_limit_sl": "limit", "price": 0, "ltp": 120000}, "Price is required"),
        ({"market_limit_sl": "slm", "trigger_price": 0, "ltp": 120000}, "Trigger price is required"),
        ({"market_limit_sl": "limit", "price": 120000, "ltp": 0}, "ltp is required"),
        ({"market_limit_sl": "limit", "price": 120003, "ltp": 120000}, "tick size"),
        ({"market_limit_sl": "sl", "price": 120000, "trigger_price": 120100, "ltp": 119000}, "not be above"),
        ({"market_limit_sl": "sl", "order_type": "S", "price": 120100, "trigger_price": 120000, "ltp": 121000},
         "not be below"),
    ],
)
async def test_invalid_fields_rejected_with_reason(joined, fields, fragment) -> None:
    await joined.send(TOPIC, "order", {**order(), **fields})
    (rejected,) = await _responses(joined, 1)
    assert rejected["status"] == "Rejected" and fragment in rejected["error"]


async def test_order_numbers_and_transaction_ids_increase(sim, joined) -> None:
    for _ in range(3):
        await joined.send(TOPIC, "order", order())
    payloads = await _responses(joined, 6)
    numbers = sorted({p["order_number"] for p in payloads})
    assert len(numbers) == 3
    ids = [p["transaction_id"] for p in payloads]
    assert ids == sorted(ids) and len(set(ids)) == 6
    assert len(sim.stats.orders_received) == 3
