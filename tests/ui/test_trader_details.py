"""Issue 24 item 6: small things a trader tripped over — each with the behaviour it fixes."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QPoint, QRect, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from airalgo_desktop.desk import AlertFired, InstrumentsChanged, TradingDesk
from airalgo_desktop.domain.instruments import InstrumentMaster
from airalgo_desktop.domain.nsetime import IST, now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from airalgo_desktop.instruments.catalog import Catalog
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.services.alerts import Alert, AlertBook, Direction
from airalgo_desktop.settings import MemoryStore, Prefs
from airalgo_desktop.ui.alerts import AlertsModel
from airalgo_desktop.ui.import_master import ImportMasterDialog
from airalgo_desktop.ui.main_window import MainWindow
from airalgo_desktop.ui.notify import Kind
from airalgo_desktop.ui.orderbook import OrderBookModel, OrderBookPanel

from .conftest import app_args, running_app
from .test_presenter import build
from .test_ticket_input import RELIANCE, ticket, type_into  # noqa: F401  (the ticket fixture)


def test_a_price_the_trader_stepped_is_not_moved_by_typing_the_trigger(ticket) -> None:  # noqa: F811
    """(c) An SL's price stepped with the arrow key is the trader's: typing the trigger afterwards (and the LTP
    timer running) leaves it where the trader put it."""
    assert ticket.open_for(RELIANCE, Side.BUY)
    ticket.kind.setCurrentIndex(2)  # SL: trigger one tick above the LTP, price two ticks beyond
    ticket.price.setFocus()
    QTest.keyClick(ticket.price, Qt.Key.Key_Up)  # the trader nudges the suggested price up a tick
    stepped = ticket.price.lineEdit().text()
    type_into(ticket.trigger, "1245")
    ticket.refresh_ltp()  # the coalesced timer: untouched defaults follow the LTP
    assert ticket.price.lineEdit().text() == stepped
    assert ticket.trigger.lineEdit().text() == "1245"


def test_a_price_the_trader_never_touched_follows_the_typed_trigger(ticket) -> None:  # noqa: F811
    """(c) ...and an untouched SL price still follows (two ticks beyond the trigger), so the default is valid."""
    ticket.kind.setCurrentIndex(2)
    type_into(ticket.trigger, "1245")
    ticket.refresh_ltp()
    assert ticket.price.value() == 124510


def test_the_ticket_opens_with_the_order_type_last_picked_for_that_kind_of_instrument(ticket, tmp_path) -> None:  # noqa: F811
    """(b) Equity, futures and options each remember their own last order type, across opens and a restart."""
    sample = load_sample()
    future = next(i.token for i in sample if i.instrument_type == "FUT")
    option = next(i.token for i in sample if i.is_option)
    for token, kind in ((RELIANCE, OrderKind.SL), (future, OrderKind.LIMIT), (option, OrderKind.SLM)):
        assert ticket.open_for(token, Side.BUY)
        assert ticket.current_kind() is OrderKind.MARKET  # nothing picked yet for this kind
        ticket.kind.setCurrentIndex(ticket.kind.findData(kind))
    for token, kind in ((RELIANCE, OrderKind.SL), (future, OrderKind.LIMIT), (option, OrderKind.SLM)):
        assert ticket.open_for(token, Side.SELL)
        # Market and Limit are remembered; a stop type is picked each time (a remembered SL would turn the next
        # ticket — an exit too — into a resting stop order: the trader walkthrough's square-off did exactly that)
        expected = kind if kind in (OrderKind.MARKET, OrderKind.LIMIT) else OrderKind.MARKET
        assert ticket.current_kind() is expected
        assert ticket.trigger.isEnabled() is expected.needs_trigger  # the fields follow the opened type
    ticket.prefs.sync()
    restarted = Prefs(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert [restarted.ticket_kind(g) for g in ("equity", "futures", "options")] == [
        OrderKind.MARKET, OrderKind.LIMIT, OrderKind.MARKET]  # reopened as Market above, so that is the last type


def test_an_open_orders_menu_says_it_cannot_be_cancelled_here_and_where_to_do_it(qtbot) -> None:
    """(a) Right-click an open order: a disabled entry says the AirAlgo API has no cancel or modify, its tooltip
    says what to do instead; an executed order's menu does not carry it."""
    model = OrderBookModel()
    panel = OrderBookPanel(model)
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    panel.show()
    qtbot.waitExposed(panel)
    pending = OrderRecord("L1", OrderRequest(RELIANCE, Side.BUY, OrderKind.LIMIT, 1, price=123000), "RELIANCE",
                          now_ist(), status=OrderStatus.PENDING)
    done = OrderRecord("L2", OrderRequest(RELIANCE, Side.SELL, OrderKind.MARKET, 1), "RELIANCE", now_ist(),
                       status=OrderStatus.EXECUTED)
    model.upsert(pending)
    model.upsert(done)

    def menu_for(local_id: str) -> QMenu:
        row = next(r for r in range(panel.proxy.rowCount()) if panel.record_at(r).local_id == local_id)
        panel.view.customContextMenuRequested.emit(panel.view.visualRect(panel.proxy.index(row, 0)).center())
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu)
        menu.close()
        return menu

    menu = menu_for("L1")
    cancel = next(a for a in menu.actions() if "Cancel" in a.text())
    assert not cancel.isEnabled() and "AirAlgo API has no cancel" in cancel.text()
    assert "broker's terminal" in cancel.toolTip() and "Kill switch" in cancel.toolTip()
    assert menu.toolTipsVisible()
    assert not any("Cancel" in a.text() for a in menu_for("L2").actions())


def test_buy_and_sell_say_why_a_token_the_master_does_not_know_cannot_be_traded(qtbot) -> None:
    """(d) A selected row whose token is not in the master: Buy/Sell disabled with the reason as their tooltip, and
    F1/F2 say it in the status bar instead of asking for a ticket; once the master knows it, they work."""
    prefs = Prefs(MemoryStore())
    desk = TradingDesk(Catalog(InstrumentMaster()), None, prefs)  # no master yet
    window = MainWindow(desk.master, desk.store, prefs, positions=desk.pnl.positions)
    qtbot.addWidget(window)
    panel = window.instrument_panel
    panel.show_token("2885")
    asked: list[str] = []
    window.buyRequested.connect(asked.append)
    window.sellRequested.connect(asked.append)
    for button in (panel.buy, panel.sell):
        assert not button.isEnabled()
        assert "Token 2885 is not in the instrument master" in button.toolTip() and "Import" in button.toolTip()
    assert window.watchlist.current_token() == "2885"
    window.actions_["buy"].trigger()
    window.actions_["sell"].trigger()
    assert asked == []
    assert "Token 2885 is not in the instrument master, so it cannot be traded" in window.message_label.text()
    desk.instruments.swap(Catalog(load_sample()), window.watchlist.all_tokens(), imported=True)
    panel.show_token("2885")
    assert panel.buy.isEnabled() and panel.buy.toolTip() == ""
    window.actions_["buy"].trigger()
    assert asked == ["2885"]


def test_a_fired_alert_says_when_it_fired_in_the_list_and_the_notification(qtbot) -> None:
    """(e) The alerts list's Status reads "fired 04 Dec 10:42:05" (IST), the notification "… (at 10:42:05)"."""
    at = datetime(2026, 12, 4, 10, 42, 5, tzinfo=IST).timestamp()
    fired = Alert("2885", Direction.ABOVE, 1_250_00, fired_at=at)
    waiting = Alert("2885", Direction.BELOW, 1_200_00)
    model = AlertsModel(AlertBook([fired, waiting]), load_sample())
    status = AlertsModel.COLUMNS.index("Status")
    assert model.index(0, status).data() == "fired 04 Dec 10:42:05"
    assert model.index(1, status).data() == "waiting"
    desk, _window, notifier, _presenter, _asked = build(qtbot)
    desk.publish(AlertFired(fired, "RELIANCE crossed above ₹1,250.00"))
    assert notifier.sent[-1][1:] == ("Price alert", "RELIANCE crossed above ₹1,250.00 (at 10:42:05)")


def test_a_toast_never_covers_the_order_books_rows(qtbot) -> None:
    """(f) A toast (no system tray) shows over the central area, clear of the order book's rows, at the screen
    sizes traders have."""
    _desk, window, notifier, _presenter, _asked = build(qtbot)
    notifier.tray = None  # the in-app toast
    window.show()
    qtbot.waitExposed(window)
    for width, height in ((1366, 768), (1280, 800), (1920, 1080)):
        window.resize(width, height)
        QApplication.processEvents()
        assert notifier.notify(Kind.FILL, "Executed: RELIANCE", "Buy 5 RELIANCE at ₹1,234.50") == "toast"
        toast = notifier.toast
        assert toast.isVisible()
        shown = QRect(toast.mapToGlobal(QPoint(0, 0)), toast.size())
        viewport = window.order_book.view.viewport()
        assert viewport.isVisible()
        rows = QRect(viewport.mapToGlobal(QPoint(0, 0)), viewport.size())
        assert not shown.intersects(rows), (width, height, shown, rows)
        assert QRect(window.mapToGlobal(QPoint(0, 0)), window.size()).contains(shown)


def test_the_import_banner_shows_every_skip_reason(qtbot) -> None:
    """(g) Five skip reasons: the banner names three and offers "Details…" (every reason on its tooltip too), which
    expands it to all five — never a cut "…."."""
    desk, window, _notifier, _presenter, _asked = build(qtbot)
    reasons = [f"{n:>11,}  reason number {n} <odd>" for n in range(1, 6)]
    desk.publish(InstrumentsChanged("1,000 instruments", ["1,000 instruments kept from Kite CSV (master.csv)",
                                                          "15 rows skipped:", *reasons], imported=True))
    label = window.banner.label
    assert "…." not in label.text() and "; …" not in label.text()
    assert "reason number 3 &lt;odd&gt;" in label.text() and "reason number 4" not in label.text()
    assert "2 more reasons" in label.text() and "Details…" in label.text()
    assert all(f"reason number {n} <odd>" in label.toolTip() for n in range(1, 6))
    label.linkActivated.emit("details")
    assert all(f"reason number {n} &lt;odd&gt;" in label.text() for n in range(1, 6))
    assert "1,000 instruments kept" in label.text()


def test_importing_a_master_in_demo_mode_says_what_it_does_to_the_demo_universe(qtbot, qloop, paths) -> None:
    """(h) File → Import instrument master in demo mode: the dialog says the simulator keeps its demo universe, what
    the import replaces, and how to get the demo universe back."""

    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            dialog = app.commands.import_master()
            note = dialog.demo_note
            assert note.isVisible()
            for words in ("simulator keeps playing its own demo universe", "replaces the app's instrument list",
                          "no prices and their orders are rejected", "marked ⚠", "--demo uses the demo universe"):
                assert words in note.text()
            dialog.reject()

    qloop.run_until_complete(scenario())
    live = ImportMasterDialog(demo=False)  # with a real account the import is the master: no such note
    qtbot.addWidget(live)
    assert not live.demo_note.isVisibleTo(live)
