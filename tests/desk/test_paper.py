"""A paper session of the desk: every path that sends an order (ticket, chain, trigger, basket, kill switch) goes
through the ledger's one place to the paper exchange and never to the live connection; the risk gate, positions
and the day report work on paper state; the live journal's bytes do not change; the paper journal survives a
restart — with a fake live connection (no Qt, no socket)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airalgo_desktop.api.events import OrderEvent, Ticks
from airalgo_desktop.desk import FillsBooked, TradingDesk
from airalgo_desktop.desk.paper import SETTINGS_FILE, PaperChanged, PaperDesk, archive_paper_journal
from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.services import report
from airalgo_desktop.services.paper import PAPER_JOURNAL, RESET_REASON, FeedOnly, PaperModeError, PaperSettings
from airalgo_desktop.services.risk import OrderRefused, RiskLimits, Source
from airalgo_desktop.settings import MemoryStore, Prefs
from airalgo_desktop.store.journal import FILE_NAME
from tests.desk.fakes import FakeClient, of, ticks, update


class LiveClientThatRefusesOrders(FakeClient):
    """The live connection of a paper session: streams prices; any order call is a failure of the structure."""

    def __init__(self) -> None:
        super().__init__("LIVE")
        self.order_calls: list[str] = []

    def place_order(self, request, instrument, *, local_id=None) -> str:
        self.order_calls.append("place_order")
        raise AssertionError("a paper order reached the live connection")

    def track_order(self, local_id, request, *, order_number=None) -> None:
        self.order_calls.append("track_order")
        raise AssertionError("the live connection was asked to follow a paper order")

    def new_local_id(self) -> str:
        self.order_calls.append("new_local_id")
        raise AssertionError("the live connection numbered a paper order")


def paper_desk(data: Path | None = None, prefs: Prefs | None = None, settings: PaperSettings | None = None):
    """A paper-mode desk as the app composes it: the paper journal, the paper part, a session over a live feed."""
    prefs = prefs or Prefs(MemoryStore())
    desk = TradingDesk.open(data, prefs, journal_name=PAPER_JOURNAL) if data is not None else \
        TradingDesk(_master(), None, prefs, clock=lambda: 5000.0)
    paper = desk.add_part(PaperDesk(desk.context, desk.ledger.records,
                                    settings_file=data / SETTINGS_FILE if data is not None else None))
    if settings is not None:
        paper.apply(settings)
    notices: list = []
    desk.add_listener(notices.append)
    return desk, paper, notices


def _master():
    from tests.desk.fakes import MASTER

    return MASTER


def connect(desk: TradingDesk, paper: PaperDesk) -> LiveClientThatRefusesOrders:
    live = LiveClientThatRefusesOrders()
    desk.attach(paper.session(live))
    return live


def buy(token: str, qty: int, kind: OrderKind = OrderKind.MARKET, **prices: int) -> OrderRequest:
    return OrderRequest(token, Side.BUY, kind, qty, **prices)


def sell(token: str, qty: int, kind: OrderKind = OrderKind.MARKET, **prices: int) -> OrderRequest:
    return OrderRequest(token, Side.SELL, kind, qty, **prices)


def test_every_source_reaches_the_paper_exchange_and_nothing_reaches_the_live_connection() -> None:
    desk, paper, notices = paper_desk()
    live = connect(desk, paper)
    live.emit(ticks(t2885=1300_00, t3045=800_00))
    placed = {
        Source.TICKET: desk.ledger.place(buy("2885", 10), Source.TICKET),
        Source.CHAIN: desk.ledger.place(sell("3045", 5), Source.CHAIN),
        Source.TRIGGER: desk.ledger.place(sell("2885", 4, OrderKind.SLM, trigger_price=1290_00, ltp=1300_00),
                                          Source.TRIGGER),
        Source.BASKET: desk.ledger.place(buy("3045", 2, OrderKind.LIMIT, price=795_00, ltp=800_00), Source.BASKET),
    }
    assert {s: r.status for s, r in placed.items()} == {Source.TICKET: OrderStatus.EXECUTED,
                                                         Source.CHAIN: OrderStatus.EXECUTED,
                                                         Source.TRIGGER: OrderStatus.PENDING,
                                                         Source.BASKET: OrderStatus.PENDING}
    live.emit(ticks(t2885=1289_00, t3045=794_00))  # the trigger fires, the basket's limit is crossed
    assert placed[Source.TRIGGER].status is OrderStatus.EXECUTED and placed[Source.TRIGGER].executed_price == 1289_00
    assert placed[Source.BASKET].status is OrderStatus.EXECUTED and placed[Source.BASKET].executed_price == 795_00
    report_ = desk.risk.kill_switch()  # the kill switch's exits go through the same place
    assert len(report_.sent) == 2 and not report_.failed
    assert {t: p.net for t, p in desk.pnl.positions.positions.items()} == {"2885": 0, "3045": 0}
    # the live connection was never asked to send, follow or number an order; every order is a paper order
    assert live.order_calls == [] and live.sent == []
    assert paper.exchange.orders_received == 6
    assert all(local_id.startswith("P") for local_id in desk.ledger.records)
    assert len(of(notices, FillsBooked)) == 6


def test_the_session_holds_the_live_client_without_its_order_methods() -> None:
    _desk, paper, _ = paper_desk()
    live = LiveClientThatRefusesOrders()
    session = paper.session(live)
    # the live client is held as a FeedOnly, whose order methods raise; the session answers them from the paper
    # exchange instead — and nothing else of the session holds the live client
    with pytest.raises(PaperModeError):
        FeedOnly.place_order(session, buy("2885", 1), None)
    with pytest.raises(PaperModeError):
        FeedOnly.track_order(session, "L-1", buy("2885", 1))
    assert isinstance(session, FeedOnly)
    assert [name for name, value in vars(session).items() if value is live] == ["_FeedOnly__client"]
    assert live.order_calls == []


def test_a_live_answer_seen_in_a_paper_session_changes_no_paper_state() -> None:
    desk, paper, notices = paper_desk()
    live = connect(desk, paper)
    live.emit(OrderEvent(None, update("2885", "Executed", quantity=10, price=1300_00, number="77")))
    assert desk.ledger.records == {} and not of(notices, FillsBooked)


def test_the_risk_gate_works_on_paper_positions() -> None:
    desk, paper, _ = paper_desk()
    live = connect(desk, paper)
    live.emit(ticks(t2885=1300_00))
    desk.risk.set_limits(RiskLimits(max_orders_per_day=1))
    desk.ledger.place(buy("2885", 1))
    with pytest.raises(OrderRefused):
        desk.ledger.place(buy("2885", 1), Source.BASKET)
    refused = [r for r in desk.ledger.records.values() if r.status is OrderStatus.REJECTED]
    assert len(refused) == 1 and paper.exchange.orders_received == 1 and live.order_calls == []


def test_the_day_report_reads_the_paper_records() -> None:
    desk, paper, _ = paper_desk()
    live = connect(desk, paper)
    live.emit(ticks(t2885=1300_00))
    desk.ledger.place(buy("2885", 10))
    live.emit(ticks(t2885=1310_00))
    desk.ledger.place(sell("2885", 10))
    day = report.build(now_ist().date(), desk.ledger.records.values(), desk.master.get)
    assert day.orders == 2 and [row.token for row in day.rows] == ["2885"]
    assert day.rows[0].realised == 10 * 10_00


def test_a_paper_session_leaves_the_live_journal_byte_for_byte(tmp_path: Path) -> None:
    data = tmp_path / "data"
    prefs = Prefs(MemoryStore())
    live_desk = TradingDesk.open(data, prefs)
    client = FakeClient()
    live_desk.attach(client)
    record = live_desk.ledger.place(buy("2885", 1))
    client.emit(OrderEvent(record.local_id, update("2885", "Executed", quantity=1, price=1300_00)))
    live_desk.detach()
    live_desk.close()
    live_files = sorted(p for p in data.iterdir() if p.name.startswith(FILE_NAME))
    before = {p.name: p.read_bytes() for p in live_files}
    assert FILE_NAME in before

    desk, paper, _ = paper_desk(data, prefs)
    desk.ledger.restore()
    paper.restore()
    live = connect(desk, paper)
    live.emit(ticks(t2885=1300_00, t3045=800_00))
    desk.ledger.place(buy("2885", 3))
    desk.ledger.place(sell("3045", 2, OrderKind.LIMIT, price=900_00, ltp=800_00))
    desk.detach()
    desk.close()

    after = {p.name: p.read_bytes() for p in sorted(data.iterdir()) if p.name.startswith(FILE_NAME)}
    assert after == before
    assert (data / PAPER_JOURNAL).is_file() and live.order_calls == []
    assert not any(r.local_id == record.local_id for r in desk.ledger.records.values())  # live orders not shown


def test_the_paper_journal_carries_a_paper_day_across_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    prefs = Prefs(MemoryStore())
    desk, paper, _ = paper_desk(data, prefs, PaperSettings(capital=5_00_000_00, slippage_ticks=1))
    live = connect(desk, paper)
    live.emit(ticks(t2885=1300_00))
    bought = desk.ledger.place(buy("2885", 100))  # ₹1,30,000: ₹26,000 margin
    resting = desk.ledger.place(sell("2885", 40, OrderKind.LIMIT, price=1320_00, ltp=1300_00))
    assert bought.executed_price == 1300_05  # one tick of slippage
    used_before = paper.margin()[0]
    desk.detach()
    desk.close()

    desk2, paper2, _notices2 = paper_desk(data, prefs)
    assert paper2.settings == PaperSettings(capital=5_00_000_00, slippage_ticks=1)  # the trader's, kept
    desk2.ledger.restore()
    assert paper2.restore() == {"2885": 100}
    assert desk2.ledger.records[resting.local_id].status is OrderStatus.UNKNOWN  # not confirmed since the restart
    live2 = connect(desk2, paper2)  # follows the resting sell: it rests again, nothing is resent
    assert live2.order_calls == [] and paper2.exchange.orders_received == 0
    assert desk2.ledger.records[resting.local_id].status is OrderStatus.PENDING
    live2.emit(ticks(t2885=1300_00))
    assert paper2.margin()[0] == pytest.approx(used_before)  # the restored position, valued at the same price
    live2.emit(ticks(t2885=1321_00))
    again = desk2.ledger.records[resting.local_id]
    assert again.status is OrderStatus.EXECUTED and again.executed_price == 1320_00  # a resting limit: at its limit
    assert desk2.pnl.positions.positions["2885"].net == 60
    desk2.detach()
    desk2.close()


def test_reset_cancels_open_paper_orders_once_the_positions_are_flat() -> None:
    desk, paper, notices = paper_desk()
    live = connect(desk, paper)
    live.emit(ticks(t2885=1300_00))
    held = desk.ledger.place(buy("2885", 5))
    resting = desk.ledger.place(buy("2885", 5, OrderKind.LIMIT, price=1200_00, ltp=1300_00))
    with pytest.raises(ValueError, match="square them off first"):
        paper.reset()
    desk.ledger.place(sell("2885", 5))
    assert held.status is OrderStatus.EXECUTED
    assert paper.reset(PaperSettings(capital=2_00_000_00)) == 1
    assert resting.status is OrderStatus.REJECTED and resting.message == RESET_REASON
    assert paper.margin() == (0, 2_00_000_00)
    assert of(notices, PaperChanged)[-1] == PaperChanged(PaperSettings(capital=2_00_000_00), 1)


def test_a_fresh_paper_day_archives_only_the_paper_journal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / FILE_NAME).write_bytes(b"live")
    (data / PAPER_JOURNAL).write_bytes(b"paper")
    (data / f"{PAPER_JOURNAL}-wal").write_bytes(b"wal")
    archived = archive_paper_journal(data, "20310302-110000")
    assert archived is not None and archived.read_bytes() == b"paper"
    assert (data / "paper-journal-20310302-110000.db-wal").read_bytes() == b"wal"
    assert not (data / PAPER_JOURNAL).exists() and (data / FILE_NAME).read_bytes() == b"live"
    assert archive_paper_journal(data) is None


def test_unusable_settings_files_give_the_defaults(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / SETTINGS_FILE).write_text("{not json", encoding="utf-8")
    _desk, paper, _ = paper_desk(data)
    assert paper.settings == PaperSettings()
    with pytest.raises(ValueError, match="Paper capital"):
        paper.apply(PaperSettings(capital=0))
    assert paper.settings == PaperSettings()


def test_ticks_fill_resting_orders_after_the_desk_has_the_price() -> None:
    desk, paper, _notices = paper_desk()
    live = connect(desk, paper)
    live.emit(ticks(t2885=1300_00))
    order = desk.ledger.place(buy("2885", 1, OrderKind.LIMIT, price=1295_00, ltp=1300_00))
    seen: list = []
    desk.add_listener(lambda n: seen.append(desk.store.ltp("2885")) if isinstance(n, FillsBooked) else None)
    live.emit(Ticks({"2885": {"ltp": 1294_00, "ltq": 1, "ltt": "2025-01-09T09:15:00Z"}}))
    assert order.status is OrderStatus.EXECUTED and seen == [1294_00]


def test_a_real_client_in_a_paper_session_never_writes_an_order_frame() -> None:
    """End to end on a real socket: the live client (to the simulator, which plays the exchange) streams prices to
    a paper desk; orders from four sources fill on the paper exchange; the simulator receives none, the client
    counts no order sent, and the client's own place_order — made to raise — is never called."""
    import asyncio

    from airalgo_desktop.api.client import AirAlgoClient, ClientConfig
    from airalgo_desktop.sim.server import SimConfig, SimServer
    from tests.desk.fakes import MASTER

    async def until(predicate, timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            assert loop.time() < deadline, "condition not met in time"
            await asyncio.sleep(0.02)

    async def run() -> None:
        server = SimServer(SimConfig(api_keys=("k",), rate_hz=20, instruments=MASTER))
        await server.start()
        desk, paper, _ = paper_desk()
        client = AirAlgoClient(ClientConfig(server.ws_url, server.base_http, "k", stall_timeout=None))
        refused: list = []

        def refuse(*args, **kwargs):
            refused.append(args)
            raise AssertionError("a paper order reached the live client")

        client.place_order = refuse  # type: ignore[method-assign]
        try:
            desk.attach(paper.session(client))
            desk.subscriptions.want("test", ["2885", "3045"])
            await client.start()
            await until(lambda: desk.store.ltp("2885") and desk.store.ltp("3045"))
            records = [desk.ledger.place(buy("2885", 2), Source.TICKET),
                       desk.ledger.place(sell("3045", 1), Source.CHAIN),
                       desk.ledger.place(buy("2885", 1), Source.TRIGGER),
                       desk.ledger.place(sell("2885", 3), Source.BASKET)]
            await until(lambda: all(r.status is OrderStatus.EXECUTED for r in records))
            assert refused == [] and client.metrics.orders_sent == 0
            assert server.engine.all_orders == []  # the "exchange" never saw an order
        finally:
            await desk.disconnect()
            await server.stop()

    asyncio.run(run())


def test_a_second_paper_window_journals_to_a_paper_named_file(tmp_path: Path) -> None:
    from airalgo_desktop.store.journal import Journal

    first = Journal.open(tmp_path, name=PAPER_JOURNAL)
    try:
        second = Journal.open(tmp_path, name=PAPER_JOURNAL)
        try:
            assert second.path.name.startswith("paper-journal-") and second.path.name != PAPER_JOURNAL
            assert second.notice is not None and PAPER_JOURNAL in second.notice
            assert not (tmp_path / FILE_NAME).exists()
        finally:
            second.close()
    finally:
        first.close()


def test_the_kill_switch_cancels_open_paper_orders_before_flattening() -> None:
    """In paper mode the app's own exchange can cancel: the kill switch cancels the resting paper orders first (the
    trader walkthrough found a leftover paper stop that would later open a new position), then flattens in full."""
    desk, paper, _notices = paper_desk()
    desk.risk.use_canceller(paper.cancel_open)  # as app.py wires it in paper mode
    live = connect(desk, paper)
    live.emit(ticks(t2885=1300_00))
    held = desk.ledger.place(buy("2885", 10))
    resting_exit = desk.ledger.place(sell("2885", 4, OrderKind.LIMIT, price=1350_00, ltp=1300_00))
    resting_stop = desk.ledger.place(buy("2885", 3, OrderKind.SL, trigger_price=1320_00, price=1321_00, ltp=1300_00))
    assert held.status is OrderStatus.EXECUTED and resting_exit.status is OrderStatus.PENDING
    report = desk.risk.kill_switch()
    assert report.cancelled == 2 and resting_stop.status is OrderStatus.REJECTED
    assert resting_exit.status is OrderStatus.REJECTED and "kill switch" in resting_exit.message
    assert [(r.request.side, r.request.quantity) for r in report.sent] == [(Side.SELL, 10)]  # the whole position
    assert desk.pnl.positions.positions["2885"].net == 0 and report.still_open == []
    assert any("Cancelled 2 open paper orders" in line for line in report.lines(lambda t: t))
    assert live.order_calls == []
