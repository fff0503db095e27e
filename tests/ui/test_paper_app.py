"""``--paper``: the whole app on the simulator's feed with orders filled by the paper exchange — the simulator
(the "exchange" of this test) never receives one, the live journal keeps its bytes, and the window says PAPER."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from airalgo_desktop.api.events import State
from airalgo_desktop.desk.paper import PaperDesk
from airalgo_desktop.domain.orders import OrderStatus, Side
from airalgo_desktop.services.paper import PAPER_JOURNAL, PaperSession
from airalgo_desktop.store.journal import FILE_NAME, Journal
from airalgo_desktop.ui.orderbook import SYMBOL
from airalgo_desktop.ui.paper import PaperFrame
from tests.ui.conftest import app_args, running_app, wait_until


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
            assert view.itemDelegateForColumn(SYMBOL) is not None
            used, capital = app.presenter.margin_source()
            assert used > 0 and capital == app.paper.settings.capital

    qloop.run_until_complete(scenario())
    after = {p.name: p.read_bytes() for p in paths.data.iterdir() if p.name.startswith(FILE_NAME)}
    assert after == before
    assert (paths.data / PAPER_JOURNAL).is_file()
