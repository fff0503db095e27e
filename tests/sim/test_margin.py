"""Issue 17 item 10: the simulator's account margin is a budget (₹50,000 by default, as the README says) that
positions and pending orders use up, not a per-order ceiling."""

from __future__ import annotations

from tests.conftest import TEST_KEY
from tests.sim.test_orders import TOPIC, _responses, order


async def test_margin_is_an_account_budget_used_by_positions_and_pending_orders(sim, joined) -> None:
    engine = sim.engine
    assert engine.margin_limit == 50_000_00  # the README's figure
    sim.market.set_ltp("2885", 124000)  # RELIANCE ₹1,240; intraday equity margin is 20 % of value
    await joined.send(TOPIC, "order", order(qty=150))  # ₹1,86,000 of value → ₹37,200 margin
    _pending, executed = await _responses(joined, 2)
    assert executed["status"] == "Executed"
    sim.market.set_ltp("2885", 124000)
    assert round(engine.margin_used(TEST_KEY)) == 37_200_00
    assert round(engine.margin_available(TEST_KEY)) == 12_800_00
    await joined.send(TOPIC, "order", order(qty=100))  # another ₹24,800: the account does not have it
    (rejected,) = await _responses(joined, 1)
    assert rejected["status"] == "Rejected" and rejected["error"] == "Margin limit exceeded"
    # a resting limit order blocks its margin while pending
    await joined.send(TOPIC, "order", order(kind="limit", qty=40, price=100000, ltp=124000))  # ₹8,000 margin
    (resting,) = await _responses(joined, 1)
    assert resting["status"] == "Pending"
    assert round(engine.margin_used(TEST_KEY)) == 45_200_00
    # selling what is held needs no margin and frees it
    await joined.send(TOPIC, "order", order(side="S", qty=150))
    _pending, sold = await _responses(joined, 2)
    assert sold["status"] == "Executed"
    sim.market.set_ltp("2885", 124000)
    assert round(engine.margin_used(TEST_KEY)) == 8_000_00  # only the resting limit now


async def test_one_order_above_the_budget_is_rejected(joined) -> None:
    await joined.send(TOPIC, "order", order(qty=250))  # ~₹3.1 lakh of RELIANCE: ~₹62,000 margin
    (rejected,) = await _responses(joined, 1)
    assert rejected["error"] == "Margin limit exceeded"
