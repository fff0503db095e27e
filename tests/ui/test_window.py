"""Main window pieces: geometry and dock state restored, instrument import with junk rows, order book copy/export,
the shortcut registry."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication

from airalgo_desktop.domain.nsetime import now_ist
from airalgo_desktop.domain.orders import OrderKind, OrderRecord, OrderRequest, OrderStatus, Side
from airalgo_desktop.instruments import Catalog
from airalgo_desktop.instruments.demo import load_sample
from airalgo_desktop.settings import Prefs
from airalgo_desktop.store.market import MarketStore
from airalgo_desktop.ui.actions import ActionRegistry
from airalgo_desktop.ui.main_window import MainWindow
from airalgo_desktop.ui.ticket import OrderTicket
from tests.ui.conftest import app_args, running_app, wait_until


def test_first_run_size_and_restore(qtbot, settings: QSettings) -> None:
    window = MainWindow(Catalog(load_sample()), MarketStore(), Prefs(settings))
    qtbot.addWidget(window)
    screen = QGuiApplication.primaryScreen().availableGeometry()
    assert window.width() <= screen.width() and window.width() >= min(1024, screen.width())
    window.resize(700, 500)
    window.book_dock.hide()
    window.save_layout()
    again = MainWindow(Catalog(load_sample()), MarketStore(), Prefs(settings))
    qtbot.addWidget(again)
    again.show()
    assert (again.width(), again.height()) == (700, 500)
    assert again.book_dock.isHidden()
    again.reset_layout()
    assert not again.book_dock.isHidden()


def test_shortcut_registry_defaults_and_remap(qtbot, settings: QSettings) -> None:
    window = MainWindow(Catalog(load_sample()), MarketStore(), Prefs(settings))
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
    window = MainWindow(Catalog(load_sample()), MarketStore(), Prefs(settings))
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


def _kite_master(path: Path, rows: list[str]) -> Path:
    header = ("instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,"
              "instrument_type,segment,exchange\n")
    path.write_text(header + "\n".join(rows) + "\n")
    return path


def test_import_master_in_the_background_marks_changed_rows(qtbot, qloop, paths, tmp_path: Path) -> None:
    """File → Import instrument master: progress, the store replaced, rows whose token vanished or changed
    meaning marked (never relabelled); a bad file is one sentence in the dialog and changes nothing."""
    master = _kite_master(tmp_path / "instruments.csv", [
        '738561,2885,RELIANCE,"RELIANCE INDUSTRIES",0,,0,0.05,1,EQ,NSE,NSE',
        '5000001,3045,SBICARD,"SBI CARDS",0,,0,0.05,1,EQ,NSE,NSE',  # 3045 was SBIN on the watchlist
        '9000001,60001,NIFTY99DEC23500CE,"NIFTY",0,2099-12-24,23500,0.05,75,CE,NFO-OPT,NFO',
        '128083204,500325,RELIANCE,"RELIANCE INDUSTRIES",0,,0,0.05,1,EQ,BSE,BSE',
        '9000002,2885,NIFTY99DEC23600CE,"NIFTY",0,2099-12-24,23600,0.05,75,CE,NFO-OPT,NFO',  # RELIANCE's token
    ])
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 10)

    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            model = app.window.watchlist.models[0]
            await wait_until(lambda: "SBIN" in model.data(model.index(model.tokens.index("3045"), 0)))
            dialog = app.commands.import_master()
            dialog.source.setText(str(master))
            seen: list[int] = []
            dialog.progress.valueChanged.connect(seen.append)
            dialog.import_button.click()
            await wait_until(lambda: not dialog.isVisible())
            assert dialog.result() == dialog.DialogCode.Accepted and seen and max(seen) == 1000
            assert (paths.data / "instruments.npz").is_file()
            assert app.desk.master.get("60001").display == "NIFTY 24 DEC 2099 23500 CE"
            sbin = model.index(model.tokens.index("3045"), 0)
            assert model.data(sbin) == "SBIN ⚠"  # what it meant when added, never relabelled
            assert "now means SBICARD" in model.data(sbin, Qt.ItemDataRole.ToolTipRole)
            gone = model.index(model.tokens.index("1333"), 0)
            assert model.data(gone).endswith("⚠") and "not in the instrument master" in model.data(
                gone, Qt.ItemDataRole.ToolTipRole)
            assert model.data(model.index(model.tokens.index("2885"), 0)) == "RELIANCE"
            banner = app.window.banner
            assert banner.isVisible() and "3 instruments kept" in banner.label.text()
            assert "exchange BSE" in banner.label.text() and "marked ⚠" in banner.label.text()
            assert ("their token belongs to another contract: NIFTY 24 DEC 2099 23600 CE (token 2885 kept for "
                    "RELIANCE)") in banner.label.text()  # named, not only counted (issue 25 item 3)
            assert [i.token for i in app.desk.master.search("nifty 23500 ce")] == ["60001"]
            # a file that is not a master: one sentence, the master stays
            before = (paths.data / "instruments.npz").read_bytes()
            dialog = app.commands.import_master()
            dialog.source.setText(str(junk))
            dialog.import_button.click()
            await wait_until(lambda: dialog.cancel_flag is None and dialog.status.text())
            assert "not a text file" in dialog.status.text() and dialog.isVisible()
            assert (paths.data / "instruments.npz").read_bytes() == before and "60001" in app.desk.master
            dialog.reject()

    qloop.run_until_complete(scenario())


def test_import_master_can_be_cancelled(qtbot, qloop, paths, tmp_path: Path) -> None:
    from benchmarks.master import generate

    big = tmp_path / "big.csv"
    generate(big, now_ist().date(), rows=120_000)  # the app's today (IST), not the machine's UTC date

    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            dialog = app.commands.import_master()
            dialog.source.setText(str(big))
            dialog.progress.valueChanged.connect(lambda value: value > 0 and dialog.cancel_button.click())
            dialog.import_button.click()
            await wait_until(lambda: dialog.cancel_flag is None, timeout=60)
            assert "cancelled" in dialog.status.text() and dialog.isVisible()
            assert not (paths.data / "instruments.npz").exists() and "2885" in app.desk.master
            dialog.reject()
            assert not dialog.isVisible()

    qloop.run_until_complete(scenario())
