"""``--paper``: the whole app on the simulator's feed with orders filled by the paper exchange — the simulator
(the "exchange" of this test) never receives one, the live journal keeps its bytes, and the window says PAPER."""

from __future__ import annotations

import asyncio

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMessageBox, QStyleOptionViewItem

from airalgo_desktop.api.events import State
from airalgo_desktop.desk.paper import PaperDesk
from airalgo_desktop.domain.money import format_rupees
from airalgo_desktop.domain.orders import OrderStatus, Side
from airalgo_desktop.keystore import KeyStore
from airalgo_desktop.services.paper import PAPER_JOURNAL, PaperSession
from airalgo_desktop.store.journal import FILE_NAME, Journal
from airalgo_desktop.ui.labels import ContractLabelDelegate
from airalgo_desktop.ui.orderbook import SYMBOL, TIME
from airalgo_desktop.ui.paper import PaperFrame, PaperSymbolDelegate
from tests.ui.conftest import app_args, running_app, wait_until
from tests.ui.test_app import MemoryKeyring


def joined(app) -> bool:
    return app.desk.client is not None and app.desk.client.state.state is State.JOINED


def test_a_paper_session_fills_on_the_paper_exchange_and_says_so(qtbot, qloop, paths) -> None:
    live = Journal.open(paths.data)  # a live journal from an earlier run
    live.close()
    before = {p.name: p.read_bytes() for p in paths.data.iterdir() if p.name.startswith(FILE_NAME)}

    async def scenario() -> None:
        async with running_app(app_args("--demo", "--paper"), paths) as app:
            assert isinstance(app.paper, PaperDesk)
            await wait_until(lambda: joined(app) and app.desk.store.ltp("2885"))
            assert isinstance(app.desk.client, PaperSession)
            window = app.window
            assert window.windowTitle().startswith("PAPER — ")
            assert window.findChild(QLabel, "paper_badge") is not None
            assert window.findChild(PaperFrame, "paper_frame") is not None
            ticket = app.ticket
            app.commands.open_ticket("2885", Side.BUY)
            assert ticket.windowTitle().startswith("PAPER — ")
            assert ticket.findChild(QLabel, "paper_strip").isVisibleTo(ticket)
            ticket.confirm_box.setChecked(False)
            ticket.qty.setValue(5)
            ticket.send()
            await wait_until(lambda: ticket.record and ticket.record.status is OrderStatus.EXECUTED)
            record = ticket.record
            assert record.local_id.startswith("P") and record.executed_price > 0
            assert app.sim.engine.all_orders == []  # the simulator (the exchange here) never saw an order
            view = window.order_book.view
            # every row says PAPER (in its time cell) and the contract label keeps its own delegate (never cut)
            assert isinstance(view.itemDelegateForColumn(TIME), PaperSymbolDelegate)
            assert isinstance(view.itemDelegateForColumn(SYMBOL), ContractLabelDelegate)
            used, capital = app.presenter.margin_source()
            assert used > 0 and capital == app.paper.settings.capital
            report = app.commands.day_report()  # the day report reads the paper ledger, and says PAPER
            await wait_until(lambda: report.windowTitle().startswith("PAPER — "))
            assert report.report is not None and report.report.orders == 1
            report.close()

    qloop.run_until_complete(scenario())
    after = {p.name: p.read_bytes() for p in paths.data.iterdir() if p.name.startswith(FILE_NAME)}
    assert after == before
    assert (paths.data / PAPER_JOURNAL).is_file()


def test_shadow_fills_show_the_paper_twin_beside_each_live_fill(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo", "--shadow-fills"), paths) as app:
            await wait_until(lambda: joined(app) and app.desk.store.ltp("2885"))
            assert app.paper is None and not app.window.windowTitle().startswith("PAPER")
            ticket = app.ticket
            app.commands.open_ticket("2885", Side.BUY)
            ticket.confirm_box.setChecked(False)
            ticket.qty.setValue(3)
            ticket.send()
            await wait_until(lambda: ticket.record and ticket.record.status is OrderStatus.EXECUTED)
            local_id = ticket.record.local_id
            await wait_until(lambda: app.shadow.fills.get(local_id) and app.shadow.fills[local_id].complete)
            assert len(app.sim.engine.all_orders) == 1  # the live order, once; its twin stays in the app
            pair = app.shadow.fills[local_id]
            label = app.window.findChild(QLabel, "shadow_summary")
            await wait_until(lambda: "over 1 order" in label.text())
            view = app.window.order_book.view
            from airalgo_desktop.ui.orderbook import EXEC

            index = view.model().index(0, EXEC)
            option = QStyleOptionViewItem()
            view.itemDelegateForColumn(EXEC).initStyleOption(option, index)
            assert f"paper {format_rupees(pair.paper_price)}" in option.text
            report = app.commands.day_report()  # File → Day report… sums the slippage as the status bar does
            assert report.report is not None and report.report.shadow == app.shadow.summary()
            assert report.shadow.text().startswith(label.text()) and "in all" in report.shadow.text()
            report.close()

    qloop.run_until_complete(scenario())


def test_the_account_menu_restarts_the_app_in_paper_mode_after_a_confirmation(qtbot, qloop, paths) -> None:
    args = app_args("--demo")
    args.argv = ["--demo"]

    async def scenario() -> None:
        async with running_app(args, paths) as app:
            switch = app.window.findChild(QAction, "paper_switch")
            assert switch is not None and not switch.isChecked()
            switch.trigger()
            box = app.window.findChild(QMessageBox, "paper_switch_confirm")
            assert box is not None and "PAPER" in box.text() and not switch.isChecked()
            box.button(QMessageBox.StandardButton.Cancel).click()
            assert app.relaunch_argv is None
            switch.trigger()
            box = [b for b in app.window.findChildren(QMessageBox, "paper_switch_confirm") if b.isVisible()][-1]
            box.button(QMessageBox.StandardButton.Yes).click()
            assert app.relaunch_argv == ["--demo", "--paper"]
            await wait_until(lambda: app._quit.is_set())

    qloop.run_until_complete(scenario())


def test_paper_outside_market_hours_trades_on_the_demo_feed_and_says_so(qtbot, qloop, paths, monkeypatch) -> None:
    monkeypatch.setattr("airalgo_desktop.app.in_market_hours", lambda _moment: False)

    async def scenario() -> None:
        async with running_app(app_args("--paper"), paths) as app:
            await wait_until(lambda: joined(app))
            assert app.sim is not None and app.paper_on_demo_feed()
            assert isinstance(app.desk.client, PaperSession)
            badge = app.window.findChild(QLabel, "paper_demo_feed")  # stays, whatever the status line says later
            assert badge is not None and "simulator" in badge.toolTip()

    qloop.run_until_complete(scenario())


def test_paper_in_market_hours_uses_the_live_feed(qtbot, qloop, paths, monkeypatch) -> None:
    monkeypatch.setattr("airalgo_desktop.app.in_market_hours", lambda _moment: True)
    monkeypatch.delenv("AIRALGO_API_KEY", raising=False)

    async def scenario() -> None:
        async with running_app(app_args("--paper"), paths, keystore=KeyStore(backend=MemoryKeyring())) as app:
            await asyncio.sleep(0.3)  # the start-up reads the settings: with no key, it asks for one
            assert not app.paper_on_demo_feed() and app.sim is None
            assert app.window.findChild(QLabel, "paper_demo_feed") is None

    qloop.run_until_complete(scenario())
