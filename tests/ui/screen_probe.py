"""The real window on a screen of a given size, run in a process of its own (the offscreen platform takes its screen
from a config file read once, when the QApplication starts): ``python -m tests.ui.screen_probe WxH[@DPR] OUT.json
[SHOT.png]``.

It opens the demo app, makes a few fills (cash, a future and an option), opens the option chain, a chart window and
the payoff, and writes what :mod:`tests.ui.test_screen_fit` asserts: the window's frame against the screen's
available geometry, every dock's width against its minimum, and the contract label each watchlist, order-book and
positions row shows (read back from the delegate's elided text).
"""

from __future__ import annotations

import asyncio
import faulthandler
import json
import os
import sys
import tempfile
from pathlib import Path


async def _scenario(app, out: dict, shot: str | None) -> None:  # type: ignore[no-untyped-def]

    from airalgo_desktop.api.events import State
    from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
    from tests.ui.conftest import wait_until

    desk, window, commands = app.desk, app.window, app.commands
    await wait_until(lambda: desk.client is not None and desk.client.state.state is State.JOINED, 20)
    master = desk.master
    nifty = [i for i in master if i.name == "NIFTY" and i.instrument_type in ("CE", "PE")]
    nearest = min(i.expiry for i in nifty)
    nifty = [i for i in nifty if i.expiry == nearest]
    future = next(i for i in master if i.instrument_type == "FUT")
    cash = next(i for i in master if i.instrument_type == "EQ")
    for inst in (*nifty, future):
        window.watchlist.add_token(inst.token)
    out["step"] = "ticks"
    await wait_until(lambda: all(desk.store.ltp(i.token) for i in (*nifty, future, cash)), 20)
    # the cheapest call and put (the demo account's margin is small); one order each way
    option = min((i for i in nifty if i.instrument_type == "CE"), key=lambda i: desk.store.ltp(i.token))
    put = min((i for i in nifty if i.instrument_type == "PE"), key=lambda i: desk.store.ltp(i.token))
    for inst in (cash, option, put):
        desk.ledger.place(OrderRequest(inst.token, Side.BUY, OrderKind.MARKET, inst.lot_size))
    out["step"] = "fills"
    await wait_until(lambda: sum(r.status is OrderStatus.EXECUTED for r in desk.ledger.records.values()) >= 3, 20)
    commands.open_chain(option.token)
    commands.open_chart(option.token)
    commands.show_payoff(None)
    await asyncio.sleep(1.5)  # the chain's first refresh, the docks' layout
    screen = window.screen()
    avail = screen.availableGeometry()
    frame = window.frameGeometry()
    out["screen"] = [avail.x(), avail.y(), avail.width(), avail.height()]
    out["window"] = [frame.x(), frame.y(), frame.width(), frame.height()]
    out["windows"] = {}
    for name, widget in (("chart", window.chart_windows[-1] if window.chart_windows else None),
                         ("payoff", commands.payoff_dialog)):
        if widget is not None and widget.isVisible():
            g = widget.frameGeometry()
            out["windows"][name] = [g.x(), g.y(), g.width(), g.height()]
    out["docks"] = {dock.objectName(): [dock.width(), dock.minimumSizeHint().width(), dock.isVisible()]
                    for dock in window.dock_widgets()}
    rows: dict[str, list] = {}
    for dock, key in ((window.watch_dock, "watchlist"), (window.book_dock, "order_book"),
                      (window.positions_dock, "positions")):
        dock.raise_()  # a pane under a tab is read when it is the one shown
        await asyncio.sleep(0.1)
        rows[key] = window.displayed_labels()[key]
    out["rows"] = rows
    out["summary_min_widths"] = {"day_pnl": window.chart.mtm_label.minimumSizeHint().width(),
                                 "chain_info": window.chain_docks[0].widget().info.minimumSizeHint().width()}
    out["contracts"] = {i.token: [str(i.strike // 100), i.instrument_type, str(i.expiry.day) if i.is_option else ""]
                        for i in (option, put, future, cash)}
    window.watch_dock.raise_()
    window.book_dock.raise_()
    await asyncio.sleep(0.1)
    if shot:
        window.grab().save(shot)


def main(argv: list[str]) -> int:
    """Run the probe for ``argv = [WxH[@DPR], out.json, shot.png?]``; the exit code says whether it ran."""
    faulthandler.dump_traceback_later(200, exit=True)  # a hang reports where it is instead of running on
    size, out_path = argv[0], Path(argv[1])
    shot = argv[2] if len(argv) > 2 else None
    dims, _, dpr = size.partition("@")
    width, height = (int(v) for v in dims.split("x"))
    folder = Path(tempfile.mkdtemp(prefix="probe-"))
    # AIRALGO_PROBE_QPA=xcb runs it on a real X server (xvfb-run -s "-screen 0 1366x768x24"), to look at it
    from airalgo_desktop.harness import offscreen_platform

    os.environ["QT_QPA_PLATFORM"] = os.environ.get("AIRALGO_PROBE_QPA") or offscreen_platform(width, height,
                                                                                             float(dpr or 1), folder)
    import qasync
    from PySide6.QtWidgets import QApplication

    from airalgo_desktop.app import Application, Paths
    from tests.ui.conftest import app_args

    qapp = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    out: dict = {}

    async def run() -> None:
        app = Application(app_args("--demo"), Paths.resolve(str(folder / "home")))
        task = asyncio.ensure_future(app.run())
        try:
            await _scenario(app, out, shot)
        except Exception as exc:  # reported in the JSON: the test shows it
            out["error"] = repr(exc)
            out["orders"] = [f"{r.request.token} {r.status} {r.message}" for r in app.desk.ledger.records.values()]
        finally:
            app.request_quit()
            await asyncio.wait_for(task, 15)

    loop.run_until_complete(run())
    out_path.write_text(json.dumps(out, indent=1))
    sys.stdout.flush()
    os._exit(0)  # Qt's teardown of the simulator's threads can abort after the answer is written


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
