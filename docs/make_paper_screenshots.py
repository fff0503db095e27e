"""Regenerate docs/screenshot-paper-vs-live.png and docs/screenshot-shadow-fill.png.

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_paper_screenshots.py

Two runs of the real app on the embedded simulator, each window 1366×768 and given the same orders through the
ledger's one place: first live (demo) mode with shadow fills — every order also paper-filled at send time, the
order book's Exec. price showing the paper twin and the slippage — then ``--paper``. The two grabs are put side by
side: live on the left, paper on the right (orange frame, PAPER badge, PAPER on every order row).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import qasync
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from airalgo_desktop.__main__ import build_parser
from airalgo_desktop.app import Application, Paths
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.ui import theme

HERE = Path(__file__).parent
OUT_SIDE_BY_SIDE = HERE / "screenshot-paper-vs-live.png"
OUT_SHADOW = HERE / "screenshot-shadow-fill.png"
SIZE = (1366, 768)


async def wait(predicate, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.05)


async def run_once(*flags: str) -> QImage:
    home = tempfile.mkdtemp(prefix="airalgo-docs-")
    args = build_parser().parse_args(["--demo", *flags])
    app = Application(args, Paths.resolve(home))
    task = asyncio.ensure_future(app.run())
    await wait(lambda: app.desk.client is not None and app.desk.client.state.joined and app.desk.store.ltp("2885"))
    app.window.resize(*SIZE)
    app.window.watchlist.current_view().selectRow(0)
    await asyncio.sleep(2)
    ledger = app.desk.ledger
    placed = [ledger.place(OrderRequest("2885", Side.BUY, OrderKind.MARKET, 25))]
    await asyncio.sleep(1.5)
    placed.append(ledger.place(OrderRequest("2885", Side.SELL, OrderKind.MARKET, 10)))
    await wait(lambda: all(r.status is OrderStatus.EXECUTED for r in placed))
    if app.shadow is not None:
        await wait(lambda: all(app.shadow.fills.get(r.local_id) and app.shadow.fills[r.local_id].complete
                               for r in placed))
    await asyncio.sleep(1.5)
    if app.shadow is not None:  # bring the Exec. price column (live fill · paper fill · slippage) into view
        from airalgo_desktop.ui.orderbook import EXEC, STATUS

        view = app.window.order_book.view
        view.setColumnWidth(STATUS, 80)
        view.resizeColumnToContents(EXEC)
        view.scrollTo(view.model().index(0, EXEC))
        await asyncio.sleep(0.3)
    image = app.window.grab().toImage()
    app.request_quit()
    await task
    return image


async def main() -> int:
    live = await run_once("--shadow-fills")
    ok = live.save(str(OUT_SHADOW))
    paper = await run_once("--paper")
    both = QImage(live.width() + paper.width() + 16, max(live.height(), paper.height()), QImage.Format.Format_RGB32)
    both.fill(0xFFFFFF)
    painter = QPainter(both)
    painter.drawImage(0, 0, live)
    painter.drawImage(live.width() + 16, 0, paper)
    painter.end()
    ok = both.save(str(OUT_SIDE_BY_SIDE)) and ok
    print(f"{'saved' if ok else 'FAILED'} {OUT_SIDE_BY_SIDE} and {OUT_SHADOW}")
    return 0 if ok else 1


if __name__ == "__main__":
    qt = QApplication(sys.argv[:1])
    qt.setQuitOnLastWindowClosed(False)
    theme.apply_theme(qt, theme.ThemeChoice.LIGHT)
    sys.exit(qasync.run(main()))
