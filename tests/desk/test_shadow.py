"""Shadow fills on a live desk: each live order sent in the run is paper-filled at send time against the prices the
desk has, and set beside its live fill — the shadow never becomes an order, a record or a journal row."""

from __future__ import annotations

import pytest

from airalgo_desktop.api.events import OrderEvent
from airalgo_desktop.desk.shadow import ShadowDesk, ShadowFilled
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
from airalgo_desktop.services.paper import PaperExchange
from airalgo_desktop.services.risk import OrderRefused, RiskLimits
from tests.desk.fakes import FakeClient, make_desk, of, ticks, update


def wired():
    desk, _prefs, notices = make_desk()
    shadow = desk.add_part(ShadowDesk(desk.context))
    client = FakeClient()
    desk.attach(client)
    return desk, shadow, client, notices


def answer(client: FakeClient, record, price: int) -> None:
    req = record.request
    client.emit(OrderEvent(record.local_id, update(req.token, "Executed", side=req.side, quantity=req.quantity,
                                                   price=price, number=f"9{len(client.sent)}")))


def test_a_live_market_order_is_set_beside_its_paper_fill_at_send_time() -> None:
    desk, shadow, client, notices = wired()
    client.emit(ticks(t2885=1300_00))
    record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10))
    assert client.sent == [(record.local_id, record.request)]  # the live order went to the live client, once
    client.emit(ticks(t2885=1300_50))  # the market moved before the exchange filled it
    answer(client, record, 1300_10)
    pair = shadow.fills[record.local_id]
    assert (pair.paper_price, pair.live_price, pair.slippage, pair.ticks) == (1300_00, 1300_10, 100, 2)
    last = of(notices, ShadowFilled)[-1]
    assert last.fill == pair and last.summary.orders == 1 and last.summary.slippage == 100
    assert len(desk.ledger.records) == 1 and len(client.sent) == 1  # no extra order, record or send


def test_a_sell_and_a_limit_are_compared_and_summed() -> None:
    desk, shadow, client, _ = wired()
    client.emit(ticks(t2885=1300_00, t3045=800_00))
    sell = desk.ledger.place(OrderRequest("3045", Side.SELL, OrderKind.MARKET, 5))
    limit = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 2, price=1295_00, ltp=1300_00))
    answer(client, sell, 799_90)  # 2 ticks worse than the paper fill at 800.00
    client.emit(ticks(t2885=1294_00))  # the paper limit fills at its limit
    answer(client, limit, 1295_00)
    assert shadow.fills[sell.local_id].slippage == 50 and shadow.fills[limit.local_id].slippage == 0
    assert (shadow.summary().orders, shadow.summary().slippage) == (2, 50)


def test_orders_that_were_never_sent_have_no_shadow() -> None:
    desk, shadow, client, _ = wired()
    client.emit(ticks(t2885=1300_00))
    desk.risk.set_limits(RiskLimits(max_orders_per_day=0))
    with pytest.raises(OrderRefused):
        desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 1))
    assert shadow.fills == {} and client.sent == []


def test_the_shadow_only_ever_holds_a_paper_exchange() -> None:
    _desk, shadow, client, _ = wired()
    assert isinstance(shadow.exchange, PaperExchange)
    assert all(value is not client for value in vars(shadow).values())  # it never keeps the live connection
    assert "attached" not in vars(ShadowDesk)  # and is never handed one


def test_complete_pairs_are_kept_for_the_day_report(tmp_path) -> None:
    from airalgo_desktop.domain.nsetime import now_ist
    from airalgo_desktop.services.shadow import read_shadow

    desk, _prefs, _notices = make_desk()
    keep = tmp_path / "shadow-fills.jsonl"
    shadow = desk.add_part(ShadowDesk(desk.context, keep=keep))
    client = FakeClient()
    desk.attach(client)
    client.emit(ticks(t2885=1300_00))
    record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10))
    assert not keep.exists()  # the paper half alone is not kept
    answer(client, record, 1300_10)
    fills, bad = read_shadow(keep, now_ist().date())
    assert fills == [shadow.fills[record.local_id]] and bad == 0


def test_a_live_rejection_drops_the_comparison() -> None:
    desk, shadow, client, _ = wired()
    client.emit(ticks(t2885=1300_00))
    record = desk.ledger.place(OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 1, price=1290_00, ltp=1300_00))
    assert record.local_id in shadow.fills
    client.emit(OrderEvent(record.local_id, update("2885", "Rejected", reason="Margin limit exceeded")))
    client.emit(ticks(t2885=1289_00))  # the paper twin fills, but there is nothing to compare it with
    assert shadow.fills == {} and shadow.summary().orders == 0
