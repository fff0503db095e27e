"""Main window pieces: geometry and dock state restored, instrument import with junk rows, order book copy/export,
the shortcut registry."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication

from airalgo_desktop.domain.instruments import load_sample
from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui.actions import ActionRegistry
from airalgo_desktop.ui.main_window import MainWindow
from airalgo_desktop.ui.prefs import Prefs
from airalgo_desktop.ui.ticket import OrderTicket
from tests.ui.conftest import app_args, running_app


def test_first_run_size_and_restore(qtbot, settings: QSettings) -> None:
    window = MainWindow(load_sample(), MarketStore(), Prefs(settings))
    qtbot.addWidget(window)
    screen = QGuiApplication.primaryScreen().availableGeometry()
    assert window.width() <= screen.width() and window.width() >= min(1024, screen.width())
    window.resize(700, 500)
    window.book_dock.hide()
    window.save_layout()
    again = MainWindow(load_sample(), MarketStore(), Prefs(settings))
    qtbot.addWidget(again)
    again.show()
    assert (again.width(), again.height()) == (700, 500)
    assert again.book_dock.isHidden()
    again.reset_layout()
    assert not again.book_dock.isHidden()


def test_shortcut_registry_defaults_and_remap(qtbot, settings: QSettings) -> None:
    window = MainWindow(load_sample(), MarketStore(), Prefs(settings))
    qtbot.addWidget(window)
    actions = window.actions_
    assert actions["buy"].shortcut().toString() == "F1" and actions["sell"].shortcut().toString() == "F2"
    assert window.instrument_panel.buy.text() == "Buy  F1" and actions["buy"].toolTip().endswith("(F1)")
    actions.remap("buy", "Ctrl+B")
    fresh = ActionRegistry(window, Prefs(settings))
    assert fresh["buy"].shortcut().toString() == "Ctrl+B"
    assert ("Sell", "F2") in fresh.table()
    # the registry is the only source of key labels: a remap changes every one of them
    ticket = OrderTicket(window.master, window.store, Prefs(settings), lambda r: None, lambda r: [], window,
                         actions=actions)
    qtbot.addWidget(ticket)
    assert ticket.buy_button.text() == "Buy (Ctrl+B)" and ticket.sell_button.text() == "Sell (F2)"
    assert ticket.side_key(Side.BUY).toString() == "Ctrl+B"  # the ticket claims the remapped key
    assert window.instrument_panel.buy.text() == "Buy  Ctrl+B" and actions["buy"].toolTip().endswith("(Ctrl+B)")
    actions.remap("search", "Ctrl+K")
    assert window.watchlist.search.placeholderText().endswith("(Ctrl+K)")
    assert ("Find instrument", "Ctrl+K") in actions.table()
    # only user-changed shortcuts are saved: back to the default forgets it
    assert settings.value("shortcuts/buy") == "Ctrl+B"
    actions.remap("buy", "F1")
    assert settings.value("shortcuts/buy") is None and settings.value("shortcuts/sell") is None
    assert ticket.buy_button.text() == "Buy (F1)"


def test_order_book_copy_and_export(qtbot, settings: QSettings, tmp_path: Path) -> None:
    window = MainWindow(load_sample(), MarketStore(), Prefs(settings))
    qtbot.addWidget(window)
    record = OrderRecord("L1", OrderRequest("2885", Side.BUY, OrderKind.LIMIT, 5, price=123_450), "RELIANCE",
                         now_ist(), status=OrderStatus.PENDING, message="Order Entry Confirm",
                         order_number="1300000000111170")
    window.order_model.upsert(record)
    window.order_book.view.selectRow(0)
    text = window.order_book.copy_selection()
    assert "RELIANCE\tBuy\tLimit\t5\t1,234.50" in text and QGuiApplication.clipboard().text() == text
    out = tmp_path / "orders.csv"
    assert window.order_book.export_csv(out) == 1
    content = out.read_text()
    assert "RELIANCE,2885,Buy,Limit,5,1234.50,,,Pending,Order Entry Confirm,1300000000111170,L1" in content


def test_import_csv_with_junk_rows_reports_and_keeps_the_rest(qtbot, qloop, paths, tmp_path: Path) -> None:
    csv_path = tmp_path / "mine.csv"
    csv_path.write_text("token,symbol,name,tick_size,lot_size\n"
                        "990001,MYSTOCK,My Stock,0.05,1\n"
                        "oops,BAD,Bad,0.05,1\n"
                        "990002,,No symbol,0.05,1\n")

    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await app.commands.load_instruments(csv_path)
            assert "990001" in app.desk.master and app.desk.master["990001"].symbol == "MYSTOCK"
            banner = app.window.banner
            assert banner.isVisible()
            assert "1 instruments loaded, 2 rows skipped" in banner.label.text()
            assert "line 3: token 'oops' is not a number" in banner.label.text()
            assert app.window.watchlist.add_token("990001")
            await app.commands.load_instruments(tmp_path / "missing.csv")
            assert "Could not import missing.csv" in banner.label.text()

    qloop.run_until_complete(scenario())
