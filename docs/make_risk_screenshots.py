"""Regenerate the risk screenshots (docs/screenshot-risk-*.png): the limits dialog, the meter amber and red, the lock
banner, the kill switch's confirmation and report, the day report — at one screen size:

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python docs/make_risk_screenshots.py OUT_DIR

It drives the real app in demo mode: buys 100 RELIANCE, sets a ₹5,000 day loss limit, then moves the simulator's
price so the loss reaches 85 % of the limit (amber) and then the limit (the day locks: red, with the banner).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import qasync
from make_screenshot import wait  # this folder is on sys.path when the script runs
from PySide6.QtWidgets import QApplication

from airalgo_desktop.__main__ import build_parser
from airalgo_desktop.app import Application, Paths
from airalgo_desktop.domain.money import round_to_tick
from airalgo_desktop.domain.orders import OrderKind, OrderRequest, OrderStatus, Side
from airalgo_desktop.services.risk import RiskLimits


def shot(out: Path, name: str) -> None:
    QApplication.primaryScreen().grabWindow(0).save(str(out / f"{name}.png"))


async def meter_and_limits(app: Application, out: Path, level: str, screen: str, limits: str) -> None:
    """Once the meter shows ``level``: the screen, then the limits dialog over it (and the dialog alone)."""
    await wait(lambda: app.commands.risk_meter.level == level)
    await asyncio.sleep(1.0)
    shot(out, screen)
    dialog = app.commands.edit_risk_limits()
    await asyncio.sleep(1.0)
    shot(out, limits)
    dialog.grab().save(str(out / f"{limits}-dialog.png"))
    dialog.close()


async def main(out: Path) -> int:
    app = Application(build_parser().parse_args(["--demo"]), Paths.resolve(tempfile.mkdtemp(prefix="airalgo-docs-")))
    task = asyncio.ensure_future(app.run())
    await wait(lambda: app.desk.client is not None and app.desk.client.state.joined and app.desk.store.ltp("2885")
               and app.desk.store.ltp("1333"))
    screen = QApplication.primaryScreen().geometry()
    app.window.setGeometry(screen)  # no window manager under Xvfb: fill the screen by hand
    app.sim.engine.margin_limit = 20_00_000_00
    app.desk.risk.set_limits(RiskLimits(max_order_value=None))
    app.commands.open_ticket("2885", Side.BUY)
    app.ticket.confirm_box.setChecked(False)
    app.ticket.qty.setValue(100)
    app.ticket.send()
    await wait(lambda: app.ticket.record and app.ticket.record.status is OrderStatus.EXECUTED)
    paid = app.ticket.record.executed_price
    app.ticket.close()
    # a resting limit buy 10 % under the market: the kill switch lists it as open, as it cannot cancel it
    ltp = app.desk.store.ltp("1333")
    app.desk.ledger.place(OrderRequest("1333", Side.BUY, OrderKind.LIMIT, 5, price=round_to_tick(ltp * 9 // 10, 5),
                                       ltp=ltp))
    app.desk.risk.set_limits(RiskLimits(max_day_loss=5_000_00, max_orders_per_minute=10, max_orders_per_day=100,
                                        max_lots_per_underlying=20, max_order_value=10_00_000_00))
    app.sim.market.set_ltp("2885", paid - 42_50)  # −₹4,250 on 100: 85 % of the limit
    await meter_and_limits(app, out, "warn", "meter-amber", "limits")
    app.sim.market.set_ltp("2885", paid - 55_00)  # −₹5,500: past the limit, the day locks
    await meter_and_limits(app, out, "locked", "lock", "limits-locked")
    confirm = app.commands.kill_switch()
    await asyncio.sleep(1.0)
    shot(out, "kill-confirm")
    confirm.grab().save(str(out / "kill-confirm-dialog.png"))
    confirm.go.click()
    await wait(lambda: getattr(app.commands, "kill_report", None) is not None)
    await asyncio.sleep(1.5)
    shot(out, "kill-report")
    app.commands.kill_report.grab().save(str(out / "kill-report-dialog.png"))
    app.commands.kill_report.close()
    report = app.commands.day_report()
    await asyncio.sleep(1.0)
    shot(out, "day-report")
    report.grab().save(str(out / "day-report-dialog.png"))
    report.close()
    app.request_quit()
    return await task


if __name__ == "__main__":
    qt = QApplication(sys.argv)
    sys.exit(qasync.run(main(Path(sys.argv[1]))))
