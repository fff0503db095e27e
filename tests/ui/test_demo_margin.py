"""Issue 17 item 10: the demo account's margin (₹50,000, as the README says) is shown in the status bar and is
used up by what the trader buys."""

from __future__ import annotations

from airalgo_desktop.domain.money import format_rupees
from airalgo_desktop.domain.orders import OrderStatus, Side
from tests.ui.conftest import app_args, running_app, wait_until
from tests.ui.test_app import joined


def test_demo_status_bar_shows_margin_used_and_available(qtbot, qloop, paths) -> None:
    async def scenario() -> None:
        async with running_app(app_args("--demo"), paths) as app:
            await wait_until(lambda: joined(app) and app.desk.store.ltp("2885"))
            label = app.window.margin_label
            await wait_until(lambda: label.text().startswith("Margin used ₹0.00 · available ₹50,000.00"))
            assert label.isVisible()
            ticket = app.ticket
            app.commands.open_ticket("2885", Side.BUY)
            ticket.confirm_box.setChecked(False)
            ticket.qty.setValue(100)  # ~₹1.24 lakh of RELIANCE: ~₹24,800 of margin at 20 %
            ticket.send()
            await wait_until(lambda: ticket.record and ticket.record.status is OrderStatus.EXECUTED)
            engine = app.sim.engine
            await wait_until(lambda: not label.text().startswith("Margin used ₹0.00"))
            used = round(engine.margin_used("demo"))
            assert 20_000_00 < used < 30_000_00
            app.presenter.show_margin()
            used = round(engine.margin_used("demo"))
            assert label.text() == f"Margin used {format_rupees(used)} · available {format_rupees(50_000_00 - used)}"
            ticket.open_for("2885", Side.BUY)  # another ~₹49,600 of margin: more than is left → refused
            ticket.confirm_box.setChecked(False)
            ticket.qty.setValue(200)
            ticket.send()
            await wait_until(lambda: ticket.record and ticket.record.status is OrderStatus.REJECTED)
            assert "Margin limit exceeded" in ticket.status_label.text()

    qloop.run_until_complete(scenario())
