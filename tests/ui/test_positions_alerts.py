"""Positions from fills, square-off ticket, alerts firing, notification routing, order latency (issue 7)."""

from __future__ import annotations

from airalgo_desktop.domain.money import format_rupees
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.services.alerts import Alert, Direction
from airalgo_desktop.settings import Prefs
from airalgo_desktop.ui.notify import Kind, Notifier
from tests.ui.conftest import app_args, running_app, wait_until


def test_notification_routing_and_switches(qtbot, settings) -> None:
    from PySide6.QtWidgets import QWidget

    window = QWidget()
    qtbot.addWidget(window)
    prefs = Prefs(settings)
    toast_only = Notifier(window, prefs, tray=False)
    assert toast_only.notify(Kind.FILL, "Executed", "Buy 1 ACC") == "toast"
    assert toast_only.toast.isVisibleTo(window) and "Buy 1 ACC" in toast_only.toast.text()
    settings.setValue("notify/fills", "false")
    assert toast_only.notify(Kind.FILL, "Executed", "again") is None  # switched off
    assert toast_only.notify(Kind.REJECTION, "Rejected", "why") == "toast"  # the others stay on
    with_tray = Notifier(window, prefs, tray=True)
    assert with_tray.notify(Kind.ALERT, "Price alert", "ACC crossed above ₹2,210.00") == "tray"
    assert [route for route, *_ in toast_only.sent + with_tray.sent] == ["toast", "toast", "tray"]


def test_positions_square_off_alerts_and_latency(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await wait_until(lambda: app.desk.client and app.desk.client.state.joined and app.desk.store.ltp("2885"))
            app.sim.set_reply_delay(0.15)  # every answer 150 ms late: latency must show it
            orders = app.desk.ledger
            orders.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 10))
            orders.place(OrderRequest("2885", Side.SELL, OrderKind.MARKET, 4))
            await wait_until(lambda: sum(r.status is OrderStatus.EXECUTED for r in orders.records.values()) == 2)
            position = app.desk.pnl.positions.positions["2885"]
            assert position.net == 6 and len(app.desk.pnl.positions.fills) == 2
            model = app.window.positions_model
            assert model.rowCount() == 2 and model.data(model.index(0, 1)) == "+6"
            assert model.data(model.index(1, 0)) == "Total"
            # latency: Send → Pending at least the injected delay, figures in the status bar
            record = next(iter(orders.records.values()))
            assert (record.pending_at - record.sent_at) >= 0.14  # Qt timers may fire a millisecond early
            assert "median" in app.window.latency_label.text() and "worst" in app.window.latency_label.text()
            latency_cell = app.window.order_model.data(app.window.order_model.index(0, 11))
            assert latency_cell.endswith(" ms") and "/" in latency_cell
            # square off from the positions dock: opposite side, net quantity — and a Market order even when the
            # last ticket for equities was a stop-loss (an exit must never become a resting stop order)
            app.prefs.set_ticket_kind("equity", OrderKind.SL)
            app.commands.square_off("2885", "S", 6)
            assert app.ticket.side is Side.SELL and app.ticket.qty.value() == 6
            assert app.ticket.current_kind() is OrderKind.MARKET
            app.ticket.close()
            # chart and MTM follow
            app.presenter.focus("2885")
            app.presenter.update_status()
            chart = app.window.chart
            assert app.desk.pnl.mtm.points and chart.buys.data.size == 1 and chart.sells.data.size == 1
            # an alert that fires once, through the notifier, and is saved
            app.notifier.tray = None
            level = app.desk.store.ltp("2885") + 500
            app.desk.alerts.add(Alert("2885", Direction.ABOVE, level))
            await wait_until(lambda: app.desk.alerts.book.alerts[0].last is not None)  # reference tick
            app.sim.market.set_ltp("2885", level + 100)
            await wait_until(lambda: app.desk.alerts.book.alerts[0].fired_at is not None)
            assert any(title == "Price alert" for _route, title, _text in app.notifier.sent)
            assert app.prefs.load_alerts().alerts[0].fired_at is not None and app.desk.alerts.tokens == set()
            # View → Notifications switches (declared actions)
            app.window.actions_["notify_fills"].setChecked(False)
            assert not app.prefs.notify("fills") and not app.notifier.enabled(Kind.FILL)
            # flat again: the greeks leave the screen (they stayed at the last open position's figures)
            app.window.positions_model.set_greeks({"2885": object()})  # type: ignore[dict-item]
            app.window.positions_panel.greek_totals.setText("NIFTY Δ +27.4")
            app.window.positions_panel.greek_totals.setVisible(True)
            orders.place(OrderRequest("2885", Side.SELL, OrderKind.MARKET, 6))
            await wait_until(lambda: app.desk.pnl.positions.positions["2885"].net == 0)
            app.presenter.show_option_greeks()
            assert app.window.positions_model.greeks == {} and not app.window.positions_panel.greek_totals.text()

    qloop.run_until_complete(scenario())


def test_day_pnl_with_the_chart_is_the_positions_total_in_every_frame(qtbot, qloop, paths) -> None:
    """Money correctness: the Day P&L line above the P&L curve and the Positions tab's total are the same number
    (in paisa) after fills and ticks — not a once-a-second sample next to a live total."""
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await wait_until(lambda: app.desk.client and app.desk.client.state.joined
                             and app.desk.store.ltp("2885") and app.desk.store.ltp("1333"))
            orders = app.desk.ledger
            orders.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 3))
            orders.place(OrderRequest("1333", Side.SELL, OrderKind.MARKET, 2))
            await wait_until(lambda: sum(r.status is OrderStatus.EXECUTED for r in orders.records.values()) == 2)
            app.presenter.focus("2885")
            app.presenter.update_status()
            model, label = app.window.positions_model, app.window.chart.mtm_label
            ltps = app.desk.store.ltp
            for step in range(6):
                seen = (ltps("2885"), ltps("1333"))
                await wait_until(lambda s=seen: (ltps("2885"), ltps("1333")) != s)  # the simulator's next move
                app.presenter.refresh()  # the coalesced repaint (the 4 Hz status timer may or may not have run)
                total = model.totals()[2]
                assert model.data(model.index(2, 7)) == format_rupees(total, symbol=False, sign=True)
                assert app.desk.pnl.mtm.last == app.desk.pnl.day_pnl() == total, step
                assert f"Day P&L <b>{format_rupees(total, sign=True)}</b>" in label.text(), (step, label.text())

    qloop.run_until_complete(scenario())
