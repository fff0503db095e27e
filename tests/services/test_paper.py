"""The paper exchange alone: fills of every order type against a scripted tick stream, the fill model's slippage,
rejections in the demo's words, the margin budget, reset, and the session that keeps orders off the live feed."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest

from airalgo_desktop.api.client import OrderValidationError
from airalgo_desktop.api.events import ConnectionState, OrderEvent, OrderUnknown, State, StateChanged, Ticks
from airalgo_desktop.domain.clock import FixedClock
from airalgo_desktop.domain.instruments import Instrument, InstrumentMaster
from airalgo_desktop.domain.nsetime import IST
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, OrderUpdate, Side
from airalgo_desktop.services.paper import (
    DEFAULT_CAPITAL,
    RESET_REASON,
    FeedOnly,
    PaperExchange,
    PaperModeError,
    PaperSession,
    PaperSettings,
    slipped,
)
from tests.desk.fakes import FakeClient

EXPIRY = date(2031, 3, 27)
CLOCK = FixedClock(datetime(2031, 3, 2, 11, 0, tzinfo=IST))
STOCK = Instrument("2885", "RELIANCE", tick_size=5, lot_size=1, prev_close=1_300_00)
FUT = Instrument("35013", "NIFTY31MARFUT", "NIFTY", "NFO", "NFO-FUT", "FUT", EXPIRY, tick_size=5, lot_size=75,
                 prev_close=22_000_00, freeze_qty=1800, is_index=True)
MASTER = InstrumentMaster([STOCK, FUT])


def exchange(settings: PaperSettings | None = None, clock=CLOCK) -> tuple[PaperExchange, list[OrderEvent]]:
    ex = PaperExchange(MASTER, settings, clock=clock)
    heard: list = []
    ex.add_listener(heard.append)
    return ex, heard


def tick(ex: PaperExchange, token: str, ltp: int) -> None:
    ex.on_ticks({token: {"ltp": ltp, "ltq": 1, "ltt": "2031-03-02T05:30:00Z"}})


def answers(heard: list, local_id: str) -> list[tuple[str, int, str | None]]:
    return [(e.update.status_text, e.update.executed_price, e.update.error) for e in heard
            if isinstance(e, OrderEvent) and e.local_id == local_id]


def req(kind: OrderKind, side: Side = Side.BUY, qty: int = 10, price: int = 0, trigger: int = 0, ltp: int = 1_300_00,
        token: str = "2885") -> OrderRequest:
    return OrderRequest(token, side, kind, qty, price=price, trigger_price=trigger, ltp=ltp)


# ---------------------------------------------------------------------------------------------------- fills
def test_market_order_fills_at_the_ltp_and_waits_for_a_first_price() -> None:
    ex, heard = exchange()
    early = ex.place_order(req(OrderKind.MARKET), STOCK)
    assert answers(heard, early) == [("Pending", 0, None)]  # no price yet: it waits for the first tick
    tick(ex, "2885", 1_301_05)
    assert answers(heard, early)[-1] == ("Executed", 1_301_05, None)
    later = ex.place_order(req(OrderKind.MARKET, Side.SELL), STOCK)
    assert answers(heard, later) == [("Pending", 0, None), ("Executed", 1_301_05, None)]


def test_limit_fills_when_the_ltp_crosses_at_the_limit() -> None:
    ex, heard = exchange()
    tick(ex, "2885", 1_300_00)
    buy = ex.place_order(req(OrderKind.LIMIT, price=1_299_00), STOCK)
    sell = ex.place_order(req(OrderKind.LIMIT, Side.SELL, price=1_302_00), STOCK)
    for price in (1_299_50, 1_299_05):
        tick(ex, "2885", price)
    assert answers(heard, buy) == [("Pending", 0, None)]
    tick(ex, "2885", 1_298_50)  # crossed: a resting limit trades at its limit
    assert answers(heard, buy)[-1] == ("Executed", 1_299_00, None)
    assert answers(heard, sell) == [("Pending", 0, None)]
    tick(ex, "2885", 1_303_00)
    assert answers(heard, sell)[-1] == ("Executed", 1_302_00, None)


def test_a_marketable_limit_trades_at_the_market() -> None:
    ex, heard = exchange()
    tick(ex, "2885", 1_300_00)
    buy = ex.place_order(req(OrderKind.LIMIT, price=1_305_00), STOCK)
    assert answers(heard, buy)[-1] == ("Executed", 1_300_00, None)


def test_stop_loss_orders_wait_for_their_trigger() -> None:
    ex, heard = exchange()
    tick(ex, "2885", 1_300_00)
    slm = ex.place_order(req(OrderKind.SLM, Side.SELL, trigger=1_295_00), STOCK)
    sl = ex.place_order(req(OrderKind.SL, Side.BUY, price=1_306_00, trigger=1_305_00), STOCK)
    tick(ex, "2885", 1_296_00)
    assert answers(heard, slm) == [("Pending", 0, None)]
    tick(ex, "2885", 1_294_50)  # trigger hit: SL-M trades at the market
    assert answers(heard, slm)[-1] == ("Executed", 1_294_50, None)
    tick(ex, "2885", 1_305_50)  # trigger hit, limit 1306 crossed: trades at the market (marketable on trigger)
    assert answers(heard, sl)[-1] == ("Executed", 1_305_50, None)


def test_a_triggered_stop_loss_limit_rests_until_its_limit_is_crossed() -> None:
    ex, heard = exchange()
    tick(ex, "2885", 1_300_00)
    sl = ex.place_order(req(OrderKind.SL, Side.SELL, price=1_294_00, trigger=1_295_00), STOCK)
    tick(ex, "2885", 1_293_00)  # triggered, but the market gapped through the limit: a sell at 1294 cannot trade
    assert answers(heard, sl) == [("Pending", 0, None)]
    tick(ex, "2885", 1_294_50)  # back above the limit: the resting order trades at it
    assert answers(heard, sl)[-1] == ("Executed", 1_294_00, None)


# ---------------------------------------------------------------------------------------------------- the fill model
@pytest.mark.parametrize(("price", "ticks", "buy", "limit", "expected"), [
    (1_300_00, 0, True, 0, 1_300_00),
    (1_300_00, 2, True, 0, 1_300_10),
    (1_300_00, 2, False, 0, 1_299_90),
    (1_300_00, 3, True, 1_300_10, 1_300_10),  # never beyond the limit
    (1_300_00, 3, False, 1_299_95, 1_299_95),
    (10, 5, False, 0, 5),  # never below one tick
])
def test_slippage_moves_the_price_against_the_trader(price: int, ticks: int, buy: bool, limit: int,
                                                     expected: int) -> None:
    assert slipped(price, 5, ticks, buy, limit) == expected


def test_fills_slip_by_the_chosen_number_of_ticks() -> None:
    ex, heard = exchange(PaperSettings(slippage_ticks=2))
    tick(ex, "2885", 1_300_00)
    buy = ex.place_order(req(OrderKind.MARKET), STOCK)
    sell = ex.place_order(req(OrderKind.MARKET, Side.SELL), STOCK)
    limit = ex.place_order(req(OrderKind.LIMIT, price=1_300_05), STOCK)  # marketable: 1300.00 + 2 ticks, capped
    assert answers(heard, buy)[-1] == ("Executed", 1_300_10, None)
    assert answers(heard, sell)[-1] == ("Executed", 1_299_90, None)
    assert answers(heard, limit)[-1] == ("Executed", 1_300_05, None)
    ex.apply(PaperSettings(slippage_ticks=0))
    again = ex.place_order(req(OrderKind.MARKET), STOCK)
    assert answers(heard, again)[-1] == ("Executed", 1_300_00, None)


# ---------------------------------------------------------------------------------------------------- rejections
def test_rejections_carry_the_demo_wording() -> None:
    ex, heard = exchange(PaperSettings(capital=1_00_00_000_00))  # ₹1 crore: the margin is not what refuses
    tick(ex, "35013", 22_000_00)
    freeze = ex.place_order(req(OrderKind.MARKET, qty=1875, token="35013"), FUT)
    assert answers(heard, freeze) == [("Rejected", 0, "Quantity above the freeze quantity 1800")]
    # what the live client refuses before sending (off-tick, lot size), the paper exchange refuses the same way …
    with pytest.raises(OrderValidationError, match="multiple of the tick size"):
        ex.place_order(req(OrderKind.LIMIT, price=1_300_03), STOCK)
    # … and should one reach the engine, it answers in the demo's words
    engine_answers: list = []
    ex.engine.respond = lambda _key, payload: engine_answers.append((payload["status"], payload["error"]))
    ex.engine.submit("paper", req(OrderKind.LIMIT, price=1_300_03).to_payload())
    ex.engine.submit("paper", req(OrderKind.MARKET, qty=70, token="35013").to_payload())
    assert engine_answers == [("Rejected", "Price not in multiples of tick size"),
                              ("Rejected", "Quantity not in multiples of lot size 75")]
    update = next(e.update for e in heard if e.local_id == freeze)
    assert update.status is OrderStatus.REJECTED and update.message == "Order has been Rejected"


def test_an_expired_contract_is_rejected() -> None:
    today = date.today()  # only to build a contract that validates today and has expired on the exchange's clock
    live_today = Instrument("35013", "NIFTYFUT", "NIFTY", "NFO", "NFO-FUT", "FUT", today + timedelta(days=30),
                            tick_size=5, lot_size=75)
    later = FixedClock(datetime.combine(today + timedelta(days=31), datetime.min.time(), tzinfo=IST))
    ex = PaperExchange(InstrumentMaster([live_today]), clock=later)
    heard: list = []
    ex.add_listener(heard.append)
    tick(ex, "35013", 22_000_00)
    expired = ex.place_order(req(OrderKind.MARKET, qty=75, token="35013"), live_today)
    assert answers(heard, expired) == [("Rejected", 0, "Contract expired")]


def test_invalid_tickets_raise_like_the_live_client_and_reach_nothing() -> None:
    ex, heard = exchange()
    with pytest.raises(OrderValidationError):
        ex.place_order(req(OrderKind.MARKET, qty=0), STOCK)
    assert heard == [] and ex.orders_received == 0


def test_answers_parse_as_live_order_responses() -> None:
    ex, heard = exchange()
    tick(ex, "2885", 1_300_00)
    local = ex.place_order(req(OrderKind.MARKET, qty=3), STOCK)
    update = heard[-1].update
    assert isinstance(update, OrderUpdate) and update.raw["status"] == "Executed"
    assert update.side is Side.BUY and update.quantity == 3 and update.kind is OrderKind.MARKET
    assert update.order_number is not None and update.token == "2885"
    assert update.message == "Your Order has been executed successfully"
    assert heard[-1].local_id == local and local.startswith("P")


# ---------------------------------------------------------------------------------------------------- margin
def test_the_margin_budget_rejects_what_the_capital_cannot_carry() -> None:
    ex, heard = exchange(PaperSettings(capital=1_00_000_00))  # ₹1,00,000; 20 % margin on cash
    tick(ex, "2885", 1_000_00)
    first = ex.place_order(req(OrderKind.MARKET, qty=400), STOCK)  # ₹4,00,000 → ₹80,000 margin
    second = ex.place_order(req(OrderKind.MARKET, qty=200), STOCK)  # would need ₹40,000 more
    assert answers(heard, first)[-1][0] == "Executed"
    assert answers(heard, second) == [("Rejected", 0, "Margin limit exceeded")]
    used, limit = ex.margin()
    assert (round(used), limit) == (80_000_00, 1_00_000_00)
    exit_ = ex.place_order(req(OrderKind.MARKET, Side.SELL, qty=400), STOCK)  # reducing needs no margin
    assert answers(heard, exit_)[-1][0] == "Executed"
    assert ex.margin()[0] == 0


def test_raising_the_capital_takes_effect_for_the_next_order() -> None:
    ex, heard = exchange(PaperSettings(capital=10_000_00))
    tick(ex, "2885", 1_000_00)
    refused = ex.place_order(req(OrderKind.MARKET, qty=100), STOCK)  # ₹20,000 margin
    ex.apply(PaperSettings(capital=50_000_00))
    taken = ex.place_order(req(OrderKind.MARKET, qty=100), STOCK)
    assert answers(heard, refused)[-1][2] == "Margin limit exceeded"
    assert answers(heard, taken)[-1][0] == "Executed"


@pytest.mark.parametrize("settings", [PaperSettings(capital=0), PaperSettings(capital=-5),
                                      PaperSettings(capital=10**20), PaperSettings(slippage_ticks=-1),
                                      PaperSettings(slippage_ticks=1000)])
def test_implausible_settings_are_refused_and_change_nothing(settings: PaperSettings) -> None:
    ex, _ = exchange()
    with pytest.raises(ValueError):
        ex.apply(settings)
    assert ex.settings == PaperSettings() and ex.margin()[1] == DEFAULT_CAPITAL


def test_settings_read_back_tolerate_junk() -> None:
    assert PaperSettings.from_json({"capital": 5_00_000_00, "slippage_ticks": 2}) == PaperSettings(5_00_000_00, 2)
    assert PaperSettings.from_json({"capital": "lots", "slippage_ticks": -3}) == PaperSettings()
    assert PaperSettings.from_json(None) == PaperSettings()
    assert PaperSettings(slippage_ticks=2).describe() == "capital ₹10,00,000.00, fills at LTP ± 2 ticks"


# ---------------------------------------------------------------------------------------------------- reset
def test_reset_cancels_open_orders_and_frees_the_margin() -> None:
    ex, heard = exchange(PaperSettings(capital=1_00_000_00))
    tick(ex, "2885", 1_000_00)
    held = ex.place_order(req(OrderKind.MARKET, qty=300), STOCK)
    resting = ex.place_order(req(OrderKind.LIMIT, qty=50, price=900_00, ltp=1_000_00), STOCK)
    assert ex.margin()[0] > 60_000_00
    assert ex.reset(PaperSettings(capital=2_00_000_00)) == 1
    assert answers(heard, resting)[-1] == ("Rejected", 0, RESET_REASON)
    assert answers(heard, held)[-1][0] == "Executed"
    assert ex.margin() == (0, 2_00_000_00)
    tick(ex, "2885", 800_00)  # the cancelled limit never fills
    assert answers(heard, resting)[-1] == ("Rejected", 0, RESET_REASON)


# ---------------------------------------------------------------------------------------------------- following
def test_an_open_order_of_an_earlier_run_rests_again_under_its_number() -> None:
    ex, heard = exchange()
    tick(ex, "2885", 1_300_00)
    request = req(OrderKind.LIMIT, price=1_290_00)
    first = ex.place_order(request, STOCK)
    number = heard[-1].update.order_number
    fresh, heard2 = exchange()  # the next run: a new exchange
    fresh.track_order(first, request, order_number=number)
    assert fresh.orders_received == 0  # nothing resent
    tick(fresh, "2885", 1_289_00)
    assert [(e.local_id, e.update.order_number, e.update.status_text, e.update.executed_price)
            for e in heard2] == [(first, number, "Pending", 0), (first, number, "Executed", 1_290_00)]


def test_an_order_that_never_got_a_number_is_unknown_not_resent() -> None:
    ex, heard = exchange()
    ex.track_order("P-1", req(OrderKind.MARKET))
    assert heard == [OrderUnknown("P-1", req(OrderKind.MARKET))] and ex.orders_received == 0


def test_answers_wait_for_the_loop_when_one_runs() -> None:
    async def run() -> list[str]:
        ex, heard = exchange()
        tick(ex, "2885", 1_300_00)
        ex.place_order(req(OrderKind.MARKET), STOCK)
        during = len(heard)
        for _ in range(5):  # loop turns, not time
            await asyncio.sleep(0)
        return [during, *(e.update.status_text for e in heard)]

    assert asyncio.run(run()) == [0, "Pending", "Executed"]


# ---------------------------------------------------------------------------------------------------- the session
class LiveFeedThatRefusesOrders(FakeClient):
    """A live connection whose order methods raise: anything reaching them fails the test."""

    def now(self) -> float:
        return 10.0

    def place_order(self, *args, **kwargs):
        raise AssertionError("a paper order reached the live connection")

    def track_order(self, *args, **kwargs):
        raise AssertionError("the live connection was asked to follow a paper order")


def test_feed_only_cannot_send_orders() -> None:
    feed = FeedOnly(LiveFeedThatRefusesOrders())
    with pytest.raises(PaperModeError):
        feed.place_order(req(OrderKind.MARKET), STOCK)
    with pytest.raises(PaperModeError):
        feed.track_order("L-1", req(OrderKind.MARKET))
    assert not [name for name in vars(feed) if "client" in name.lower() and not name.startswith("_FeedOnly")]


def test_a_session_streams_from_the_feed_and_fills_on_the_exchange() -> None:
    live = LiveFeedThatRefusesOrders()
    ex, _ = exchange()
    session = PaperSession(live, ex)
    heard: list = []
    session.add_listener(heard.append)
    session.subscribe(["2885"])
    assert live.streaming == {"2885"}
    local = session.place_order(req(OrderKind.LIMIT, price=1_299_00), STOCK)
    live.emit(Ticks({"2885": {"ltp": 1_298_00, "ltq": 1, "ltt": "2031-03-02T05:30:00Z"}}))
    live.emit(StateChanged(ConnectionState(State.RECONNECTING)))
    # a live answer for another terminal's order is not the paper account's
    live.emit(OrderEvent(None, OrderUpdate.from_payload({"token_number": "2885", "status": "Executed"})))
    kinds = [type(e).__name__ for e in heard]
    assert kinds == ["OrderEvent", "Ticks", "OrderEvent", "StateChanged"]  # the tick reaches the desk before the fill
    # the first price it ever sees is through its limit: it trades there, as a marketable limit would
    assert heard[2].local_id == local and heard[2].update.executed_price == 1_298_00
    assert session.dropped_live_answers == 1
    asyncio.run(session.close())
    assert live.closed and live.listeners == []
