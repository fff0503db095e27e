"""Issue 24, small things a trader tripped over: a price up to MAX_PRICE in the ticket without an OverflowError (a
32-bit ``Signal(int)``), a pending stop-loss worded "Trigger pending", F&O quantities in lots and units, the app's
``--help`` listing ``--home``, the View menu naming each dock once."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtTest import QTest

from airalgo_desktop.__main__ import build_parser
from airalgo_desktop.domain.money import MAX_PRICE, format_rupees
from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.settings import Prefs
from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui.main_window import MainWindow
from airalgo_desktop.ui.orderbook import STATUS, OrderBookModel
from airalgo_desktop.ui.ticket import OrderTicket


def make_ticket(qtbot, tmp_path, token: str | None = None) -> OrderTicket:  # type: ignore[no-untyped-def]
    master = load_sample()
    store = MarketStore()
    token = token or "2885"
    store.apply({token: {"ltp": 124060, "ltq": 1, "ltt": 0}})
    prefs = Prefs(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    ticket = OrderTicket(master, store, prefs, lambda r: None, lambda r: r.validate(master.get(r.token)))
    qtbot.addWidget(ticket)
    assert ticket.open_for(token, Side.BUY)
    return ticket


def test_the_ticket_takes_any_price_up_to_max_price(qtbot, tmp_path) -> None:
    ticket = make_ticket(qtbot, tmp_path)
    ticket.kind.setCurrentIndex(ticket.kind.findData(OrderKind.LIMIT))
    seen: list[int] = []
    ticket.price.valueChanged.connect(seen.append)
    for text in ("99999999", format_rupees(MAX_PRICE, symbol=False)):
        ticket.price.lineEdit().selectAll()
        QTest.keyClicks(ticket.price.lineEdit(), text)  # an OverflowError in the slot fails the test (pytest-qt)
    assert ticket.price.value() == MAX_PRICE and seen[-1] == MAX_PRICE and 9_999_999_900 in seen


def test_a_pending_stop_loss_reads_trigger_pending(qtbot, tmp_path) -> None:
    ticket = make_ticket(qtbot, tmp_path)
    request = OrderRequest("2885", Side.SELL, OrderKind.SL, 1, price=1_199_00, trigger_price=1_200_00)
    record = OrderRecord("L1", request, "RELIANCE", now_ist(), status=OrderStatus.PENDING, history=["Sent", "Pending"])
    ticket.record = record
    ticket.follow(record)
    assert "Trigger pending" in ticket.status_label.text() and "Open at the exchange" not in ticket.status_label.text()
    model = OrderBookModel()
    model.upsert(record)
    limit = OrderRecord("L2", OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 1, price=1_230_00), "RELIANCE",
                        now_ist(), status=OrderStatus.PENDING)
    model.upsert(limit)
    assert model.text(record, STATUS) == "Trigger pending" and model.text(limit, STATUS) == "Pending"


def test_fno_quantities_in_lots_and_units(qtbot, tmp_path) -> None:
    master = load_sample()
    option = next(i for i in master if i.instrument_type == "CE" and i.lot_size > 1)
    ticket = make_ticket(qtbot, tmp_path, option.token)
    ticket.qty.setValue(option.lot_size * 2)
    assert ticket.lots_label.text() == f"2 lots · {option.lot_size * 2:,}"
    model = OrderBookModel(master)
    record = OrderRecord("L1", OrderRequest(option.token, Side.BUY, OrderKind.MARKET, option.lot_size * 2),
                         option.symbol, now_ist(), status=OrderStatus.EXECUTED)
    model.upsert(record)
    assert model.data(model.index(0, 4)) == f"2 lots · {option.lot_size * 2:,}"


def test_help_lists_home() -> None:
    assert "--home" in build_parser().format_help()


def test_view_menu_names_each_dock_once(qtbot, settings) -> None:
    window = MainWindow(load_sample(), MarketStore(), Prefs(settings))
    qtbot.addWidget(window)
    view = next(a for a in window.menuBar().actions() if a.text() == "&View").menu()
    texts = [a.text().replace("&", "") for a in view.actions() if a.text()]
    for dock in ("Watchlist", "Order book", "Positions"):
        assert texts.count(dock) == 1, texts
