from __future__ import annotations

import pytest

from airalgo_desktop.domain.instruments import Instrument
from airalgo_desktop.domain.orders import (
    OrderKind,
    OrderRequest,
    OrderStatus,
    OrderUpdate,
    Side,
    order_number_text,
)
from tests.sim import doc_examples as doc

EQ = Instrument("2885", "RELIANCE", tick_size=5, lot_size=1)
FUT = Instrument("35013", "NIFTY25FEBFUT", name="NIFTY", instrument_type="FUT", tick_size=5, lot_size=75,
                 freeze_qty=1800)
LTP = 120000

B, S = Side.BUY, Side.SELL
M, L, SL, SLM = OrderKind.MARKET, OrderKind.LIMIT, OrderKind.SL, OrderKind.SLM

# (side, kind, price, trigger, ltp, expected problem fragments; empty = valid)
TABLE = [
    (B, M, 0, 0, 0, []),
    (S, M, 0, 0, 0, []),
    (B, M, 120000, 0, 0, ["take no price"]),
    (S, M, 0, 119000, 0, ["take no trigger"]),
    (B, L, 119950, 0, LTP, []),
    (S, L, 120050, 0, LTP, []),
    (B, L, 0, 0, LTP, ["need a price above zero"]),
    (S, L, 120003, 0, LTP, ["multiple of the tick size"]),
    (B, L, 119950, 0, 0, ["No last traded price"]),
    (S, L, 120050, 5, LTP, ["take no trigger"]),
    (B, SL, 120150, 120100, LTP, []),  # LTP < trigger <= price
    (S, SL, 119850, 119900, LTP, []),  # price <= trigger < LTP
    (B, SL, 120150, 119900, LTP, ["trigger must be above the LTP"]),
    (S, SL, 119850, 120100, LTP, ["trigger must be below the LTP"]),
    (B, SL, 120100, 120150, LTP, ["not be above its limit price"]),
    (S, SL, 119900, 119850, LTP, ["not be below its limit price"]),
    (B, SL, 120150, 0, LTP, ["need a trigger price above zero"]),
    (S, SL, 0, 119900, LTP, ["need a price above zero"]),
    (B, SL, 120150, 120102, LTP, ["Trigger price must be a multiple"]),
    (B, SLM, 0, 120100, LTP, []),
    (S, SLM, 0, 119900, LTP, []),
    (B, SLM, 0, 119900, LTP, ["trigger must be above the LTP"]),
    (S, SLM, 0, 120100, LTP, ["trigger must be below the LTP"]),
    (B, SLM, 120000, 120100, LTP, ["take no price"]),
    (S, SLM, 0, 0, LTP, ["need a trigger price above zero"]),
    (B, SLM, 0, 120100, 0, ["No last traded price"]),
]


@pytest.mark.parametrize(("side", "kind", "price", "trigger", "ltp", "expected"), TABLE)
def test_validation_table(side, kind, price, trigger, ltp, expected) -> None:
    req = OrderRequest("2885", side, kind, 10, price=price, trigger_price=trigger, ltp=ltp)
    problems = req.validate(EQ)
    if not expected:
        assert problems == []
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)


def test_every_problem_at_once_and_lot() -> None:
    req = OrderRequest("35013", Side.BUY, OrderKind.LIMIT, 80, price=0, ltp=0)
    problems = req.validate(FUT)
    assert len(problems) == 3
    assert any("lot size 75" in p for p in problems)
    # the freeze quantity is the freeze guard's (services/guards.py) alone: one message, switchable in Trade → Guards
    assert OrderRequest("35013", Side.BUY, OrderKind.MARKET, 1875).validate(FUT) == []
    assert OrderRequest("35013", Side.BUY, OrderKind.MARKET, 0).validate(FUT)[0].startswith("Quantity must")
    assert "Unknown instrument" in OrderRequest("1", Side.BUY, OrderKind.MARKET, 1).validate(None)[0]


def test_payload_matches_doc() -> None:
    req = OrderRequest("2885", Side.BUY, OrderKind.MARKET, 20, ltp=120000)
    assert req.to_payload() == {
        "token_number": "2885", "market_limit_sl": "market", "price": 0, "order_type": "B",
        "trigger_price": 0, "validity": "Day", "quantity": 20, "ltp": 0,
    }
    sl = OrderRequest("2885", Side.SELL, OrderKind.SL, 1, price=234530, trigger_price=234535, ltp=234600)
    assert sl.to_payload()["price"] == 234530 and sl.to_payload()["ltp"] == 234600
    assert sl.value == 234530


DOC_PENDING = doc.ORDER_PENDING  # the API doc's own example (tests/sim/doc_examples.py)


def test_order_update_from_doc_payload() -> None:
    upd = OrderUpdate.from_payload(DOC_PENDING)
    assert upd is not None
    assert upd.status is OrderStatus.PENDING
    assert upd.order_number == "1300000000111170"
    assert upd.side is Side.BUY and upd.kind is OrderKind.MARKET and upd.quantity == 20
    assert upd.exchange_time is not None and upd.exchange_time.hour == 18
    assert upd.last_modified is not None and upd.last_modified.day == 14
    assert upd.matches(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 20))
    assert not upd.matches(OrderRequest("2885", Side.SELL, OrderKind.MARKET, 20))
    executed = OrderUpdate.from_payload({**DOC_PENDING, "status": "Executed", "executed_price": 120275.0})
    assert executed is not None and executed.executed_price == 120275 and executed.status.is_final


def test_order_update_tolerates_strings_and_junk() -> None:
    upd = OrderUpdate.from_payload({
        "token_number": 2885, "status": "rejected", "order_number": "1000000000085530",
        "volume": "25", "buy_sell": 2, "market_limit_sl": "LIMIT", "price": "120000", "error": "Invalid Symbol",
        "last_modified": "0000000000", "timestamp": "garbage", "required_margin": "abc",
    })
    assert upd is not None
    assert upd.token == "2885" and upd.status is OrderStatus.REJECTED and upd.quantity == 25
    assert upd.side is Side.SELL and upd.kind is OrderKind.LIMIT and upd.price == 120000
    assert upd.reason == "Invalid Symbol" and upd.last_modified is None and upd.exchange_time is None
    assert upd.required_margin is None
    weird = OrderUpdate.from_payload({"token_number": "22", "status": "Modified?"})
    assert weird is not None and weird.status is None and weird.status_text == "Modified?"
    assert OrderUpdate.from_payload([1, 2]) is None
    assert OrderUpdate.from_payload({"status": "Pending"}) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1300000000111170.0, "1300000000111170"),
        ("1300000000111170", "1300000000111170"),
        ("1300000000111170.0", "1300000000111170"),
        (1300000000111170, "1300000000111170"),
        (1.5, None),
        (0, None),
        ("0000000000", None),
        (None, None),
        (float("nan"), None),
        (2.0**60, None),  # beyond float precision: refuse rather than store a wrong number
        (True, None),
    ],
)
def test_order_number_exact(value, expected) -> None:
    assert order_number_text(value) == expected


def test_status_helpers() -> None:
    assert OrderStatus.UNKNOWN.is_open and OrderStatus.SENT.is_open and not OrderStatus.REJECTED.is_open
    assert OrderStatus.from_wire("COMPLETE") is OrderStatus.EXECUTED
    assert Side.from_buy_sell("1") is Side.BUY and Side.from_buy_sell("x") is None
    assert Side.BUY.opposite is Side.SELL
    assert OrderKind.SLM.label == "SL-M"
