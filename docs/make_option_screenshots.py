"""Regenerate docs/screenshot-chain.png (a NIFTY monthly chain with greeks, then a short straddle in the positions
with per-leg greeks) and docs/screenshot-payoff.png (that straddle's payoff at expiry and today):

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_option_screenshots.py

It drives the real app in demo mode; the demo account's margin is raised so the two short options fill.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import qasync
from make_screenshot import wait  # this folder is on sys.path when the script runs
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from airalgo_desktop.__main__ import build_parser
from airalgo_desktop.app import Application, Paths
from airalgo_desktop.domain.orders import OrderStatus, Side
from airalgo_desktop.services.risk import RiskLimits

HERE = Path(__file__).parent


async def main() -> int:
    app = Application(build_parser().parse_args(["--demo"]), Paths.resolve(tempfile.mkdtemp(prefix="airalgo-docs-")))
    task = asyncio.ensure_future(app.run())
    await wait(lambda: app.desk.client is not None and app.desk.client.state.joined and app.desk.store.ltp("2885"))
    app.window.resize(1560, 960)
    app.sim.engine.margin_limit = 20_00_000_00  # ₹20 lakh: room for a short straddle
    dock = app.commands.open_chain("26000")
    panel = dock.panel
    panel.greeks_box.setChecked(True)
    monthly = next(i for i, e in enumerate(panel.chain.expiries()) if panel.chain.catalog.series("NIFTY", e).future)
    panel.expiries.setCurrentIndex(monthly)
    await wait(lambda: sum(r.call.ltp is not None for r in panel.refresh().rows) >= 19)
    app.window.resizeDocks([dock], [1000], Qt.Orientation.Horizontal)
    await asyncio.sleep(4)  # let every leg trade once at the current underlying
    view = panel.refresh()
    call, put = panel.chain.series.calls[view.atm], panel.chain.series.puts[view.atm]
    app.desk.risk.set_limits(RiskLimits(max_order_value=None))
    for token in (call.token, put.token):
        app.commands.open_ticket(token, Side.SELL)
        app.ticket.confirm_box.setChecked(False)
        app.ticket.send()
        await wait(lambda: app.ticket.record and app.ticket.record.status is OrderStatus.EXECUTED)
    app.ticket.hide()
    app.window.positions_dock.raise_()
    await asyncio.sleep(2)
    app.window.grab().save(str(HERE / "screenshot-chain.png"))
    app.commands.show_payoff("NIFTY")
    await asyncio.sleep(1.5)
    app.commands.payoff_dialog.grab().save(str(HERE / "screenshot-payoff.png"))
    app.request_quit()
    return await task


if __name__ == "__main__":
    qt = QApplication(sys.argv)
    sys.exit(qasync.run(main()))
