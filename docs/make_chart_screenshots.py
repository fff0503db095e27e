"""Regenerate docs/screenshot-chart.png and docs/screenshot-chart-restart.png: a 1-minute candle chart with
volume, VWAP, the crosshair readout, a fill marker and an open limit-order line; then the same chart after the app
was quit and started again (bars from the bar store, the fill and the order from the journal).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_chart_screenshots.py

It drives the real app twice against one simulator that keeps running in between (a live session: the market does
not stop while the app restarts; demo mode would start a fresh simulated market each time). Before the first run the
bar store is given two and a half hours of RELIANCE minutes ending a minute ago at the simulator's price, and a
previous session, as the trader's app would have built them since the morning; everything after that is live.
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
from airalgo_desktop.domain.bars import SealedMinute, day_number, day_start
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, Side
from airalgo_desktop.instruments.demo import sample_csv_path
from airalgo_desktop.instruments.importer import import_master
from airalgo_desktop.sim.server import SimConfig, SimServer
from airalgo_desktop.store.bars import BarStore
from airalgo_desktop.ui import theme

DOCS = Path(__file__).parent
TOKEN = "2885"  # RELIANCE
KEY = "docs"


def seed(folder: Path, last_close: int) -> None:
    """Yesterday's session and today's last 150 minutes of RELIANCE (tick-aligned random walk to ``last_close``)."""
    store = BarStore.open(folder)
    now = time.time()
    today = day_number(now)
    now_minute = int((now - day_start(today)) // 60)
    rng = np.random.default_rng(7)
    for day, minutes in ((today - 1, range(555, 930)), (today, range(max(0, now_minute - 150), now_minute - 1))):
        n = len(minutes)
        walk = np.cumsum(rng.integers(-8, 9, n)) * 5
        close = last_close + walk - walk[-1] + (int(rng.integers(-60, 60)) * 5 if day != today else 0)
        open_ = np.r_[close[0] - 20, close[:-1]]
        high = np.maximum(open_, close) + rng.integers(0, 8, n) * 5
        low = np.minimum(open_, close) - rng.integers(0, 8, n) * 5
        volume = rng.integers(20, 400, n)
        store.save([SealedMinute(day, m, [TOKEN], *(np.array([v[i]], np.int32) for v in (open_, high, low, close)),
                                 np.array([volume[i]]), np.array([close[i] * volume[i] * 1.0]))
                    for i, m in enumerate(minutes)])
    store.close()


async def run(sim: SimServer, home: str, out: Path, first: bool) -> None:
    args = build_parser().parse_args(["--ws-url", sim.ws_url, "--token-url", sim.base_http, "--api-key", KEY])
    app = Application(args, Paths.resolve(home))
    task = asyncio.ensure_future(app.run())
    desk = app.desk
    await wait(lambda: app.window.isVisible())
    await wait(lambda: desk.pnl.bars.restored.is_set() and desk.master.get(TOKEN) is not None)
    app.commands.open_chart(TOKEN)  # the chart window streams RELIANCE itself
    await wait(lambda: desk.client and desk.client.state.joined and desk.store.ltp(TOKEN))
    if first:
        ltp = desk.store.ltp(TOKEN)
        desk.ledger.place(OrderRequest(TOKEN, Side.BUY, OrderKind.MARKET, 10))
        await wait(lambda: desk.pnl.positions.fills)
        desk.ledger.place(OrderRequest(TOKEN, Side.BUY, OrderKind.LIMIT, 50, price=ltp - 200, ltp=ltp))
    await asyncio.sleep(3.0)
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
    print(f"{out.name}: {len(view.bars)} bars, {len(view._order_items)} order line(s), "
          f"{view.buys.data.size} buy marker(s), Day P&L points {len(desk.pnl.mtm.points)}", flush=True)
    app.request_quit()
    await asyncio.wait_for(task, 30)


async def main() -> int:
    home = tempfile.mkdtemp(prefix="airalgo-chart-docs-")
    paths = Paths.resolve(home)
    import_master(str(sample_csv_path()), paths.data)  # a live session trades what its imported master lists
    sim = SimServer(SimConfig(api_keys=(KEY,), seed=16))
    await sim.start()
    try:
        seed(paths.data, sim.market.ltp(TOKEN))
        await run(sim, home, DOCS / "screenshot-chart.png", first=True)
        await asyncio.sleep(2.0)  # the app is closed for a moment; the market goes on
        await run(sim, home, DOCS / "screenshot-chart-restart.png", first=False)
    finally:
        await sim.stop()
    return 0


if __name__ == "__main__":
    qt = QApplication.instance() or QApplication(sys.argv)
    theme.apply_theme(qt, theme.ThemeChoice.LIGHT)  # as docs/make_screenshot.py
    sys.exit(qasync.run(main()))
