"""Regenerate the protective-trigger screenshots (docs/screenshot-triggers-*.png): the ticket with a stop / target,
the positions with their triggers (the Protection column), the chart with a dragged stop line, and the paused state
after a restart — at the screen size Xvfb is given:

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python docs/make_trigger_screenshots.py OUT_DIR [SUFFIX]

It drives the real app twice against one simulator that keeps running in between (as docs/make_chart_screenshots.py
does: the market goes on while the app is closed). First run: a buy of 10 RELIANCE from the ticket with a stop and a
target (armed when it fills), 20 HDFCBANK with a trailing stop, the RELIANCE stop dragged lower on the chart. Second
run: both come back *paused: not watched while the app was closed*, with what the bars saw meanwhile.

The committed pictures: ticket, positions, chart and paused at 1366×768, and positions and paused again at 1920×1080
(SUFFIX ``-1920``), where the Protection column reads whole.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import qasync
from make_chart_screenshots import KEY, TOKEN, seed  # docs/ is the script's folder, so on sys.path
from make_screenshot import wait
from PySide6.QtWidgets import QApplication, QLabel

from airalgo_desktop.__main__ import build_parser
from airalgo_desktop.app import Application, Paths
from airalgo_desktop.domain.money import Rounding, round_to_tick
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.instruments.demo import sample_csv_path
from airalgo_desktop.instruments.importer import import_master
from airalgo_desktop.services.triggers import TriggerState
from airalgo_desktop.sim.server import SimConfig, SimServer
from airalgo_desktop.ui import theme
from airalgo_desktop.ui.positions import PROTECTION
from airalgo_desktop.ui.protect import ProtectDialog

OTHER = "1333"  # HDFCBANK


def tidy(app: Application) -> None:
    """What is not the subject leaves the picture: the status line's import note (it names a folder of the machine
    that made the screenshot) and the sample watchlist's note about a token the sample master lacks."""
    app.window.statusBar().clearMessage()
    for label in app.window.statusBar().findChildren(QLabel):
        if "instruments from" in label.text():
            label.setText("")
    for _key, row in app.window.banner._rows:
        if "not in the instrument master" in row.label.text():
            row.hide()


def small(path: Path) -> None:
    """A screenshot of flat colours loses nothing at 256 of them and is a third of the size (Pillow, when there)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        quantized = image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE)
    quantized.save(path, optimize=True)


async def shot(app: Application, out: Path, name: str, suffix: str) -> None:
    """The whole screen, tidied and painted."""
    tidy(app)
    await asyncio.sleep(0.3)  # the screen is grabbed as painted: let the tidied widgets paint first
    path = out / f"screenshot-triggers-{name}{suffix}.png"
    QApplication.primaryScreen().grabWindow(0).save(str(path))
    small(path)


async def start(sim: SimServer, home: str) -> tuple[Application, asyncio.Future[int]]:
    args = build_parser().parse_args(["--ws-url", sim.ws_url, "--token-url", sim.base_http, "--api-key", KEY])
    app = Application(args, Paths.resolve(home))
    task = asyncio.ensure_future(app.run())
    await wait(lambda: app.window.isVisible())
    app.window.setGeometry(QApplication.primaryScreen().geometry())  # no window manager under Xvfb
    await wait(lambda: app.desk.client is not None and app.desk.client.state.joined
               and app.desk.store.ltp(TOKEN) and app.desk.store.ltp(OTHER), timeout=30)
    return app, task


async def first_run(sim: SimServer, home: str, out: Path, suffix: str) -> None:
    app, task = await start(sim, home)
    desk = app.desk
    tick = desk.master.get(TOKEN).tick_size
    ltp = desk.store.ltp(TOKEN)
    app.commands.open_ticket(TOKEN, Side.BUY)
    ticket = app.ticket
    ticket.confirm_box.setChecked(False)
    ticket.kind.setCurrentIndex(ticket.kind.findData(OrderKind.MARKET))
    ticket.qty.setValue(10)
    ticket.protect_box.enabled.setChecked(True)
    ticket.protect_box.stop.setText(f"{round_to_tick(ltp - 4_00, tick, Rounding.DOWN) / 100:.2f}")
    ticket.protect_box.target.setText(f"{round_to_tick(ltp + 5_00, tick, Rounding.UP) / 100:.2f}")
    ticket.revalidate()
    ticket.adjustSize()
    ticket.move(app.window.geometry().center() - ticket.rect().center())
    await asyncio.sleep(1.0)
    await shot(app, out, "ticket", suffix)
    ticket.send()
    if ticket.pages.currentIndex() == 1:  # a guard asked: confirm what is shown
        ticket.send()
    await wait(lambda: ticket.record and ticket.record.status is OrderStatus.EXECUTED)
    await wait(lambda: any(t.state is TriggerState.ARMED for t in desk.triggers.triggers.values()))
    await asyncio.sleep(0.5)
    ticket.close()
    record = desk.ledger.place(OrderRequest(OTHER, Side.BUY, OrderKind.MARKET, 20, ltp=desk.store.ltp(OTHER)))
    await wait(lambda: (r := desk.ledger.records.get(record.local_id)) is not None and r.status.is_final)
    await wait(lambda: desk.pnl.positions.positions.get(OTHER) is not None)
    desk.triggers.protect(OTHER, trail=5_00)
    app.window.actions_["positions"].trigger()
    await asyncio.sleep(1.5)
    app.window.positions_panel.view.resizeColumnToContents(PROTECTION)
    await shot(app, out, "positions", suffix)
    # the chart: the stop line dragged 4 rupees lower (dropped where a mouse would let it go)
    app.commands.open_chart(TOKEN)
    window = app.window.chart_windows[-1]
    window.resize(min(1300, app.window.width() - 40), min(720, app.window.height() - 40))
    lines = window.view.trigger_lines
    await wait(lambda: any(item[2] == "stop" for item in lines.items))  # (a stop the market crossed would be gone)
    await asyncio.sleep(2.0)
    line, trigger_id, which = next(item for item in lines.items if item[2] == "stop")
    line.setValue(line.value() - 1.0)
    lines.dropped(line, trigger_id, which)
    window.view.redraw(force=True)
    levels = [item[0].value() for item in lines.items]
    # the lines do not widen the autoscaled price range (ignoreBounds): show the range around them for the picture
    window.view.price_plot.setYRange(min(levels) - 1.0, max(levels) + 1.0, padding=0)
    QApplication.processEvents()  # the lines take the new range before the grab (it does not wait for a paint)
    path = out / f"screenshot-triggers-chart{suffix}.png"
    window.grab().save(str(path))
    small(path)
    window.close()
    app.request_quit()
    await asyncio.wait_for(task, 30)


async def second_run(sim: SimServer, home: str, out: Path, suffix: str) -> None:
    app, task = await start(sim, home)
    desk = app.desk
    await wait(lambda: any(t.state is TriggerState.PAUSED for t in desk.triggers.triggers.values()))
    app.window.actions_["positions"].trigger()
    await asyncio.sleep(2.0)
    app.window.positions_panel.view.resizeColumnToContents(PROTECTION)
    app.commands.protect(TOKEN)
    dialog = app.window.findChild(ProtectDialog)
    await asyncio.sleep(1.0)
    if dialog is not None:  # over the watchlist: the positions' Protection column stays in view
        dialog.move(app.window.geometry().left() + 10, app.window.geometry().top() + 90)
    await asyncio.sleep(0.5)
    await shot(app, out, "paused", suffix)
    if dialog is not None:
        dialog.close()
    app.request_quit()
    await asyncio.wait_for(task, 30)


async def main(out: Path, suffix: str) -> int:
    home = tempfile.mkdtemp(prefix="airalgo-trigger-docs-")
    paths = Paths.resolve(home)
    import_master(str(sample_csv_path()), paths.data)  # a live session trades what its imported master lists
    sim = SimServer(SimConfig(api_keys=(KEY,), seed=16))
    await sim.start()
    try:
        seed(paths.data, sim.market.ltp(TOKEN))
        await first_run(sim, home, out, suffix)
        await asyncio.sleep(3.0)  # the app is closed for a moment; the market goes on
        await second_run(sim, home, out, suffix)
    finally:
        await sim.stop()
    return 0


if __name__ == "__main__":
    qt = QApplication.instance() or QApplication(sys.argv)
    theme.apply_theme(qt, theme.ThemeChoice.LIGHT)  # as docs/make_screenshot.py
    sys.exit(qasync.run(main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "")))
