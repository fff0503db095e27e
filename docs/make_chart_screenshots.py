"""Regenerate docs/screenshot-chart.png and docs/screenshot-chart-restart.png: a 1-minute candle chart with
volume, VWAP, the crosshair readout, a fill marker and an open limit-order line; then the same chart after the app
was quit and started again (bars from the bar store, the fill and the order from the journal).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_chart_screenshots.py

It drives the real app (demo mode, embedded simulator). The bar store is first given two and a half hours of
RELIANCE minutes ending a minute ago (and a previous session, for the previous-close line), as a trader's app would
have built them since the morning; everything after that is live.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import qasync
from make_screenshot import wait  # docs/ is the script's folder, so on sys.path
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication

from airalgo_desktop.__main__ import build_parser
from airalgo_desktop.app import Application, Paths
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
from airalgo_desktop.services.bars import SealedMinute, day_number, day_start
from airalgo_desktop.store.bars import BarStore
from airalgo_desktop.ui import theme

DOCS = Path(__file__).parent
TOKEN = "2885"  # RELIANCE, ₹1,240.00 in the sample master


def seed(folder: Path) -> None:
    """Yesterday's session and today's last 150 minutes of RELIANCE (tick-aligned random walk)."""
    store = BarStore.open(folder)
    now = time.time()
    today = day_number(now)
    now_minute = int((now - day_start(today)) // 60)
    rng = np.random.default_rng(7)
    for day, minutes in ((today - 1, range(555, 930)), (today, range(max(0, now_minute - 150), now_minute - 1))):
        n = len(minutes)
        walk = np.cumsum(rng.integers(-8, 9, n)) * 5
        close = 124_000 + walk - walk[-1] + (int(rng.integers(-60, 60)) * 5 if day != today else 0)
        open_ = np.r_[close[0] - 20, close[:-1]]
        high = np.maximum(open_, close) + rng.integers(0, 8, n) * 5
        low = np.minimum(open_, close) - rng.integers(0, 8, n) * 5
        volume = rng.integers(20, 400, n)
        store.save([SealedMinute(day, m, [TOKEN], *(np.array([v[i]], np.int32) for v in (open_, high, low, close)),
                                 np.array([volume[i]]), np.array([close[i] * volume[i] * 1.0]))
                    for i, m in enumerate(minutes)])
    store.close()


async def run(home: str, out: Path, first: bool) -> None:
    app = Application(build_parser().parse_args(["--demo"]), Paths.resolve(home))
    task = asyncio.ensure_future(app.run())
    desk = app.desk
    await wait(lambda: app.window.isVisible())
    await wait(lambda: desk.client and desk.client.state.joined and desk.store.ltp(TOKEN))
    await wait(lambda: desk.bars.restored.is_set())
    if first:
        app.sim.market.set_ltp(TOKEN, 124_000)  # the simulator starts where the seeded morning ended
        await asyncio.sleep(0.5)
        ltp = desk.store.ltp(TOKEN)
        desk.place(OrderRequest(TOKEN, Side.BUY, OrderKind.MARKET, 10))
        await wait(lambda: desk.positions.fills)
        desk.place(OrderRequest(TOKEN, Side.BUY, OrderKind.LIMIT, 50, price=ltp - 200, ltp=ltp))
    await asyncio.sleep(2.5)
    app.commands.open_chart(TOKEN)
    window = app.window.chart_windows[-1]
    window.resize(1300, 760)
    await asyncio.sleep(1.0)
    app.presenter.update_status()
    view = window.view
    view.redraw(force=True)
    index = len(view.bars) - 25
    view._mouse_moved(view.price_plot.getViewBox().mapViewToScene(
        QPointF(index, float(view.bars.close[index]) / 100)))  # the crosshair on a bar, as a mouse would put it
    await asyncio.sleep(0.5)
    window.grab().save(str(out))
    if first:  # a fresh simulator starts at ₹1,240.00 again: leave this one there, so the restart reads on
        app.sim.market.set_ltp(TOKEN, 124_000)
        await asyncio.sleep(0.5)
    print(f"{out.name}: {len(view.bars)} bars, {len(view._order_items)} order line(s), "
          f"{view.buys.data.size} buy marker(s), Day P&L points {len(desk.mtm.points)}", flush=True)
    app.request_quit()
    await asyncio.wait_for(task, 30)


async def main() -> int:
    home = tempfile.mkdtemp(prefix="airalgo-chart-docs-")
    seed(Paths.resolve(home).data)
    await run(home, DOCS / "screenshot-chart.png", first=True)
    await run(home, DOCS / "screenshot-chart-restart.png", first=False)
    return 0


if __name__ == "__main__":
    qt = QApplication.instance() or QApplication(sys.argv)
    theme.apply_theme(qt, theme.ThemeChoice.LIGHT)  # as docs/make_screenshot.py
    sys.exit(qasync.run(main()))
