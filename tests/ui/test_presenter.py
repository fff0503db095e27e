"""The presenter without sockets: the desk's notices become widget updates, one named handler each (issue 13)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from airalgo_desktop.api.events import ConnectionState, State
from airalgo_desktop.desk import (
    AlertFired,
    ConnectionChanged,
    KeyNeeded,
    OrderChanged,
    OrderFilled,
    OrderNotConfirmed,
    OrderRejected,
    PositionsChanged,
    Problem,
    TradingDesk,
)
from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.services.alerts import Alert, Direction
from airalgo_desktop.services.positions import Fill
from airalgo_desktop.settings import MemoryStore, Prefs
from airalgo_desktop.ui.listening import listen
from airalgo_desktop.ui.main_window import MainWindow
from airalgo_desktop.ui.notify import Notifier
from airalgo_desktop.ui.presenter import Presenter
from airalgo_desktop.ui.ticket import OrderTicket


def build(qtbot):
    prefs = Prefs(MemoryStore())
    desk = TradingDesk(load_sample(), None, prefs)
    window = MainWindow(desk.master, desk.store, prefs, positions=desk.pnl.positions)
    qtbot.addWidget(window)
    ticket = OrderTicket(desk.master, desk.store, prefs, desk.ledger.place, desk.ledger.check, window,
                         guards=desk.ledger.guards,
                         actions=window.actions_)
    notifier = Notifier(window, prefs, tray=False)
    asked: list[str] = []
    presenter = Presenter(desk, window, ticket, notifier, asked.append)
    return desk, window, notifier, presenter, asked


def record(status: OrderStatus, message: str = "") -> OrderRecord:
    r = OrderRecord("L1", OrderRequest("2885", Side.BUY, OrderKind.MARKET, 5), "RELIANCE", now_ist(), status=status,
                    message=message, executed_price=1_234_50, sent_at=10.0, final_at=10.2)
    return r


def test_each_notice_reaches_its_widget(qtbot) -> None:
    desk, window, notifier, _presenter, asked = build(qtbot)
    desk.publish(OrderFilled(record(OrderStatus.EXECUTED), Fill("2885", Side.BUY, 5, 1_234_50)))
    assert window.message_label.text() == "Executed: Buy 5 RELIANCE at ₹1,234.50"
    assert notifier.sent[-1][1] == "Executed: RELIANCE"
    desk.publish(OrderRejected(record(OrderStatus.REJECTED, "Margin limit exceeded")))
    assert "Rejected: RELIANCE: Margin limit exceeded" in window.message_label.text()
    desk.publish(OrderNotConfirmed(record(OrderStatus.UNKNOWN)))
    assert "not resent" in window.message_label.text()
    desk.publish(AlertFired(Alert("2885", Direction.ABOVE, 1_250_00), "RELIANCE crossed above ₹1,250.00"))
    assert notifier.sent[-1][1:] == ("Price alert", "RELIANCE crossed above ₹1,250.00")
    desk.publish(Problem("No ticks for 90 s: reconnecting with a fresh token."))
    assert window.message_label.text().startswith("No ticks for 90 s")
    # the key banner: shown on KeyNeeded, its button asks for the key, hidden once a connection joins
    desk.publish(KeyNeeded("Invalid API Key."))
    assert window.banner.isVisibleTo(window) and window.banner.button.text() == "Enter API key…"
    window.banner.button.click()
    assert asked == ["Invalid API Key."]
    desk.publish(ConnectionChanged(ConnectionState(State.JOINED), 1.0))
    assert not window.banner.isVisibleTo(window) and "Joined" in window.connection.state_label.text()
    # a persistent problem (journal recovery) stays in the banner; joining does not hide it
    desk.publish(Problem("The order journal could not be read.", persistent=True))
    desk.publish(ConnectionChanged(ConnectionState(State.JOINED), 2.0))
    assert window.banner.isVisibleTo(window) and "journal" in window.banner.label.text()


def test_a_view_listens_for_itself_until_it_is_destroyed(qtbot) -> None:
    """A widget registers its own handler per notice type with the hub (``ui.listening.listen``) and is forgotten
    when destroyed: a closed window is never called again, and nobody loops over the open ones."""
    desk, _window, _notifier, _presenter, _asked = build(qtbot)

    class BarsReady:  # e.g. a new part announcing a finished minute
        pass

    view = QWidget()
    seen: list[object] = []
    desk.publish(BarsReady())  # nobody shows it yet: ignored
    listen(view, desk, {BarsReady: seen.append})
    desk.publish(BarsReady())
    desk.publish(Problem("not this view's"))
    assert len(seen) == 1 and isinstance(seen[0], BarsReady)
    view.deleteLater()
    qtbot.waitUntil(lambda: not shiboken_valid(view))
    desk.publish(BarsReady())
    assert len(seen) == 1


def shiboken_valid(obj: QWidget) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def test_the_order_book_positions_and_charts_show_their_notices_themselves(qtbot) -> None:
    desk, window, _notifier, _presenter, _asked = build(qtbot)
    window.order_book.listen_to(desk)
    window.positions_panel.listen_to(desk)
    desk.publish(OrderChanged(record(OrderStatus.EXECUTED)))
    assert window.order_model.rowCount() == 1
    desk.pnl.positions.add(Fill("2885", Side.BUY, 5, 1_234_50))
    desk.publish(PositionsChanged(1))
    assert window.positions_model.rowCount() == 2  # the position and the total


def test_the_instrument_panel_reads_a_new_master_for_the_selected_row(qtbot) -> None:
    """No master yet (a real account): the selected row's token is named, not "Select an instrument"; once a master
    is imported the same, still selected row shows its contract — without the trader clicking it again."""
    from airalgo_desktop.domain.instruments import InstrumentMaster
    from airalgo_desktop.instruments.catalog import Catalog

    prefs = Prefs(MemoryStore())
    desk = TradingDesk(Catalog(InstrumentMaster()), None, prefs)
    window = MainWindow(desk.master, desk.store, prefs, positions=desk.pnl.positions)
    qtbot.addWidget(window)
    ticket = OrderTicket(desk.master, desk.store, prefs, desk.ledger.place, desk.ledger.check, window,
                         guards=desk.ledger.guards,
                         actions=window.actions_)
    Presenter(desk, window, ticket, Notifier(window, prefs, tray=False), lambda _reason: None)
    token = window.watchlist.current_token()
    assert token == "2885"
    panel = window.instrument_panel
    assert panel.title.text() == "Token 2885" and "not in the instrument master" in panel.subtitle.text()
    desk.instruments.swap(Catalog(load_sample()), window.watchlist.all_tokens(), imported=True)
    assert window.watchlist.current_token() == "2885"
    assert panel.title.text() == "RELIANCE"
    assert "Reliance Industries" in panel.subtitle.text() and "Lot size" in panel.details.text()
