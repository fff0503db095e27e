"""The order correlator on its own: first answer by content (oldest ticket first), then by order number; unanswered
orders become unknown once when the connection is lost; a later answer still resolves them."""

from __future__ import annotations

import pytest

from airalgo_desktop.api.correlator import OrderCorrelator
from airalgo_desktop.api.events import OrderEvent, OrderUnknown
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side

BUY = OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1)


def answer(status: str, number: float | None = 1300000000111170.0, *, volume: int = 1, token: str = "2885") -> dict:
    return {"token_number": token, "status": status, "order_number": number, "buy_sell": "1", "volume": volume,
            "market_limit_sl": "market", "message": status}


def test_first_answer_matches_the_oldest_ticket_then_the_order_number() -> None:
    orders = OrderCorrelator()
    orders.sent("A", BUY, 1.0)
    orders.sent("B", BUY, 2.0)
    first = orders.answer(answer("Pending", 11.0))
    assert isinstance(first, OrderEvent) and first.local_id == "A"
    second = orders.answer(answer("Pending", 12.0))
    assert second is not None and second.local_id == "B"
    executed = orders.answer(answer("Executed", 12.0))  # by order number, not by content
    assert executed is not None and executed.local_id == "B" and executed.update.status is OrderStatus.EXECUTED
    assert "B" not in orders and "A" in orders


def test_an_answer_nobody_sent_is_passed_on_without_a_ticket() -> None:
    event = OrderCorrelator().answer(answer("Executed", token="22"))
    assert event is not None and event.local_id is None and event.update.token == "22"


def test_unusable_payloads_are_none() -> None:
    orders = OrderCorrelator()
    assert orders.answer("junk") is None and orders.answer({"status": "Executed"}) is None


def test_an_order_is_sent_once() -> None:
    orders = OrderCorrelator()
    orders.sent("A", BUY, 1.0)
    with pytest.raises(ValueError, match="never sent twice"):
        orders.sent("A", BUY, 2.0)


def test_unanswered_orders_become_unknown_once_and_a_later_answer_resolves_them() -> None:
    orders = OrderCorrelator()
    orders.sent("A", BUY, 1.0)
    orders.sent("B", BUY, 1.0)
    orders.answer(answer("Pending", 11.0))  # A answered
    lost = orders.connection_lost()
    assert lost == [OrderUnknown("B", BUY)]
    assert orders.connection_lost() == []  # once
    late = orders.answer(answer("Executed", 12.0))
    assert late is not None and late.local_id == "B"


def test_orders_from_an_earlier_run_are_followed_by_number() -> None:
    orders = OrderCorrelator()
    orders.track("J1", BUY, order_number="77")
    orders.track("J1", BUY, order_number="78")  # already followed: unchanged
    event = orders.answer(answer("Executed", 77.0))
    assert event is not None and event.local_id == "J1"
    assert orders.connection_lost() == []  # it had an answer before this run: never unknown
