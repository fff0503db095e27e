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


# ------------------------------------------------------------------ issue 26 item 10: late answers for final orders
def test_a_late_answer_for_a_final_order_is_delivered_as_late_never_dropped() -> None:
    from airalgo_desktop.api.events import LateOrderResponse

    orders = OrderCorrelator()
    orders.sent("A", BUY, 1.0)
    orders.answer(answer("Pending", 11.0))
    final = orders.answer(answer("Executed", 11.0))
    assert isinstance(final, OrderEvent) and final.local_id == "A"
    again = orders.answer(answer("Executed", 11.0))  # a duplicate of the final answer
    assert isinstance(again, LateOrderResponse) and again.local_id == "A" and not again.contradicts
    assert again.final.status is OrderStatus.EXECUTED and again.update.raw["status"] == "Executed"
    stale = orders.answer(answer("Pending", 11.0))  # an earlier answer arriving out of order: stale, not contrary
    assert isinstance(stale, LateOrderResponse) and not stale.contradicts
    contrary = orders.answer(answer("Rejected", 11.0))  # the exchange now says the opposite of the fill
    assert isinstance(contrary, LateOrderResponse) and contrary.contradicts
    assert contrary.final.status is OrderStatus.EXECUTED  # the answer that made it final stands


def test_a_late_fill_at_another_price_or_quantity_contradicts() -> None:
    orders = OrderCorrelator()
    orders.sent("A", BUY, 1.0)
    first = answer("Executed", 11.0) | {"executed_price": 124_050.0}
    orders.answer(first)
    other_price = orders.answer(first | {"executed_price": 124_100.0})
    other_quantity = orders.answer(first | {"volume": 2})
    assert other_price is not None and other_price.contradicts  # type: ignore[union-attr]
    assert other_quantity is not None and other_quantity.contradicts  # type: ignore[union-attr]
