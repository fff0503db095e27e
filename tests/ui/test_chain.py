"""Option chain window in the running demo app: subscriptions, trading from a leg, positions greeks, payoff."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from airalgo_desktop.domain.clock import ShiftedClock, use_clock
from airalgo_desktop.domain.nsetime import IST
from airalgo_desktop.domain.orders import OrderStatus, Side
from airalgo_desktop.services.risk import RiskLimits
from tests.ui.conftest import app_args, running_app, wait_until


def _joined(app) -> bool:
    from airalgo_desktop.api.events import State

    return app.desk.client is not None and app.desk.client.state.state is State.JOINED


def _sim_subscriptions(app) -> set[str]:
    return {t for conn in app.sim._conns for ch in conn.channels.values() for t in ch.subscriptions}


def test_chain_subscribes_trades_and_releases(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await wait_until(lambda: _joined(app) and app.desk.store.ltp("2885"))
            watch = set(app.window.watchlist.active_tokens())
            await wait_until(lambda: _sim_subscriptions(app) == watch)
            # a chain opened and closed: the simulator streams exactly the watchlist's tokens again
            bank = app.commands.open_chain("26009")
            assert bank.panel.chain.underlying == "BANKNIFTY"
            await wait_until(lambda: set(bank.panel.chain.tokens) <= _sim_subscriptions(app))
            assert len(_sim_subscriptions(app)) == len(watch | set(bank.panel.chain.tokens))
            bank.close()
            await wait_until(lambda: _sim_subscriptions(app) == watch, timeout=5)
            dock = app.commands.open_chain("26000")  # from the NIFTY 50 index row
            panel = dock.panel
            chain = panel.chain
            assert chain.underlying == "NIFTY" and len(chain.window()) == 21
            await wait_until(lambda: set(chain.tokens) <= _sim_subscriptions(app))
            await wait_until(lambda: panel.refresh().forward is not None
                             and sum(r.call.ltp is not None for r in panel.refresh().rows) >= 15)
            view = panel.refresh()
            atm = panel.model.atm_row()
            assert atm is not None and view.rows[atm].atm
            # ATM kept in view: shrink the dock, move the index up, and the new ATM row is scrolled to. Up to ₹300 above
            # its reference, not by a fixed step: the open gap is random (±1 %), and the ±10 strikes around the new
            # ATM must stay inside the ±₹1,000 of strikes listed around the reference
            dock.resize(dock.width(), 260)
            app.sim.market.set_ltp("26000", app.sim.master["26000"].prev_close + 300_00)
            await wait_until(lambda: panel.refresh().atm != view.atm, timeout=15)
            moved = panel.model.atm_row()
            assert moved is not None
            rect = panel.table.visualRect(panel.model.index(moved, panel.model.strike_column))
            assert panel.table.viewport().rect().intersects(rect)
            view = panel.refresh()
            atm = panel.model.atm_row()
            assert panel.model.rowCount() == 21 and panel.model.columnCount() == 9  # 4 + strike + 4
            panel.greeks_box.setChecked(True)
            assert panel.model.columnCount() == 15
            assert panel.model.headerData(0, Qt.Orientation.Horizontal) == "Vega"
            view, atm = panel.chain.view, panel.model.atm_row()  # the toggle refreshed (the ATM may have moved)
            assert view.rows[atm].atm
            # Enter on the put side of the ATM row buys that put at its lot size; Shift+Enter sells
            sc = panel.model.strike_column
            panel.table.setCurrentIndex(panel.model.index(atm, sc + 1))
            panel.table.setFocus()
            QTest.keyClick(panel.table, Qt.Key.Key_Return)
            put = chain.series.puts[view.rows[atm].strike]
            assert app.ticket.instrument.token == put.token and app.ticket.side is Side.BUY
            assert app.ticket.qty.value() == put.lot_size == 65
            panel.table.setCurrentIndex(panel.model.index(atm, sc - 1))
            QTest.keyClick(panel.table, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
            call = chain.series.calls[view.rows[atm].strike]
            assert app.ticket.instrument.token == call.token and app.ticket.side is Side.SELL
            # a click on the put's LTP cell opens a buy ticket for that put; a click on its IV only moves the cursor
            ltp_column = sc + 1 + ["LTP", "Chg", "IV", "Delta", "Gamma", "Theta", "Vega"].index("LTP")
            assert panel.model.field_at(ltp_column) == "LTP"
            panel.table.scrollTo(panel.model.index(atm, ltp_column))
            rect = panel.table.visualRect(panel.model.index(atm, ltp_column))
            QTest.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            assert app.ticket.instrument.token == put.token and app.ticket.side is Side.BUY
            iv_column = sc + 1 + ["LTP", "Chg", "IV"].index("IV")
            app.ticket.set_side(Side.SELL)
            panel.table.scrollTo(panel.model.index(atm, iv_column))
            rect = panel.table.visualRect(panel.model.index(atm, iv_column))
            QTest.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            assert panel.table.currentIndex().column() == iv_column and app.ticket.side is Side.SELL  # no new ticket
            panel.table.setCurrentIndex(panel.model.index(atm, sc - 1))  # back on the call for the F1 step
            # F1 with the chain focused acts on the chain's leg, not the watchlist's row
            panel.table.setFocus()
            app.window._trade_current(Side.BUY)
            assert app.ticket.instrument.token == call.token and app.ticket.side is Side.BUY
            # buy one lot of that call: positions show its greeks
            app.ticket.confirm_box.setChecked(False)
            app.desk.risk.set_limits(RiskLimits(max_order_value=None))
            app.ticket.send()
            await wait_until(lambda: app.ticket.record and app.ticket.record.status is OrderStatus.EXECUTED)
            await wait_until(lambda: call.token in app.window.positions_model.greeks
                             and app.window.positions_model.greeks[call.token].delta is not None)
            leg = app.window.positions_model.greeks[call.token]
            assert 0.2 * 65 < leg.delta < 0.8 * 65 and leg.theta < 0 < leg.vega
            assert "NIFTY" in app.window.positions_panel.greek_totals.text()
            # and one lot of the same strike's put a week later: two expiries in the book (issue 25 item 4)
            later = app.desk.options.catalog.series("NIFTY", chain.expiries()[1])
            put2 = later.puts[view.rows[atm].strike]
            assert app.ticket.open_for(put2.token, Side.BUY)
            app.ticket.send()
            await wait_until(lambda: app.ticket.record and app.ticket.record.request.token == put2.token
                             and app.ticket.record.status is OrderStatus.EXECUTED)
            await wait_until(lambda: app.desk.store.ltp(put2.token) is not None)
            app.commands.show_payoff("NIFTY")
            dialog = app.commands.payoff_dialog
            assert dialog is not None and "max loss" in dialog.summary.text()
            dialog.redraw()  # P&L now = the positions tab's total of the NIFTY rows at the same prices, to the paisa
            book, store = app.desk.pnl.positions, app.desk.store
            assert dialog.now_pnl == sum(p.total_pnl(store.ltp(t)) for t, p in book.positions.items()
                                         if (i := app.desk.options.catalog.get(t)) is not None and i.name == "NIFTY")
            dialog.close()
            # a second chain on another underlying, then close both: back to the watchlist's subscriptions
            second = app.commands.open_chain("2885")
            assert second.panel.chain.underlying == "RELIANCE"
            await wait_until(lambda: set(second.panel.chain.tokens) <= _sim_subscriptions(app))
            dock.close()
            second.close()
            # the open call position stays streamed with its underlying and future (its greeks need live prices)
            held = {call.token, put2.token, "26000"} | {s.future.token for s in (chain.series, later) if s.future}
            await wait_until(lambda: _sim_subscriptions(app) == watch | held, timeout=5)
            assert not app.desk.options.chains

    # the app and its simulator run from 25 Nov 2026 11:00 IST on (a Wednesday, nearest NIFTY expiry six days out),
    # whatever today is: which expiry is nearest and how many strikes it lists change the chain this test walks
    with use_clock(ShiftedClock(datetime(2026, 11, 25, 11, 0, tzinfo=IST))):
        qloop.run_until_complete(scenario())
