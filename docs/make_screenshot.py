"""Regenerate docs/screenshot.png: the demo app with a few orders in the book.

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_screenshot.py

It drives the real app (embedded simulator, demo mode) through its own services: a market buy that fills,
a limit sell that rests, and a NIFTY futures order the demo account's margin rejects.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from airalgo_desktop.__main__ import build_parser
from airalgo_desktop.app import Application, Paths
from airalgo_desktop.domain.money import Rounding, round_to_tick
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.services.risk import RiskLimits
from airalgo_desktop.ui import theme

OUT = Path(__file__).with_name("screenshot.png")
OUT_POSITIONS = Path(__file__).with_name("screenshot-positions.png")


async def wait(predicate, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.05)


async def main() -> int:
    home = tempfile.mkdtemp(prefix="airalgo-docs-")
    app = Application(build_parser().parse_args(["--demo"]), Paths.resolve(home))
    task = asyncio.ensure_future(app.run())
    await wait(lambda: app.desk.client is not None and app.desk.client.state.joined and app.desk.store.ltp("11536"))
    orders = app.desk.service
    ltp = app.desk.store.ltp("11536")
    app.window.watchlist.current_view().selectRow(0)  # RELIANCE: the chart follows
    await asyncio.sleep(3)  # some price history first
    orders.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 25))
    await asyncio.sleep(2)
    orders.place(OrderRequest("2885", Side.SELL, OrderKind.MARKET, 10))  # partial square-off
    orders.place(OrderRequest("11536", Side.SELL, OrderKind.LIMIT, 10,
                              price=round_to_tick(int(ltp * 1.01), 5, Rounding.UP), ltp=ltp))
    app.desk.risk.set_limits(RiskLimits(max_order_value=None))
    orders.place(OrderRequest("35013", Side.BUY, OrderKind.MARKET, 650))
    await wait(lambda: sum(r.status is not OrderStatus.SENT for r in orders.records.values()) == 4)
    # an alert that fires: RELIANCE crosses above a level the simulator is then pushed through
    from airalgo_desktop.services.alerts import Alert, Direction

    level = app.desk.store.ltp("2885") + 500
    alert = app.desk.add_alert(Alert("2885", Direction.ABOVE, level, "breakout"))
    await wait(lambda: alert.last is not None)  # the reference tick
    app.sim.market.set_ltp("2885", level + 200)
    await wait(lambda: any(a.fired_at for a in app.desk.alerts.alerts))
    await asyncio.sleep(2.5)
    ok = app.window.grab().save(str(OUT))
    app.window.positions_dock.raise_()
    await asyncio.sleep(0.3)
    ok = app.window.grab().save(str(OUT_POSITIONS)) and ok
    print(f"{'saved' if ok else 'FAILED'} {OUT} and {OUT_POSITIONS}")
    app.request_quit()
    await task
    return 0 if ok else 1


if __name__ == "__main__":
    qt = QApplication(sys.argv[:1])
    qt.setQuitOnLastWindowClosed(False)
    theme.apply_theme(qt, theme.ThemeChoice.LIGHT)
    sys.exit(qasync.run(main()))
