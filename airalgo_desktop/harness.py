"""The app's test harness, for installers, CI, benchmarks and screenshots — kept out of the composition root.

* ``--smoke-test``: the window opens on the embedded simulator; at the first tick, one master import runs through
  the import child (the program started again, as the app does it) from a non-ASCII folder, and the keyring
  backend is named; exit 0 when all that worked, 2 after 20 s without a tick, 3 when the import child failed;
* ``--screenshot PATH``: a grab of the main window 1.5 s after the first tick (or at ``--quit-after``), then quit;
* ``--quit-after S``: quit cleanly after S seconds;
* ``AIRALGO_STARTUP_MARK``: print ``startup-mark <epoch>`` when the window is shown (cold-start benchmark);
* :func:`offscreen_platform`: the ``QT_QPA_PLATFORM`` value for an offscreen screen of a given size (tests,
  benchmarks: Qt's offscreen default is 800×800, and the window is kept inside its screen).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from .desk import FirstTick, TradingDesk

log = logging.getLogger("airalgo.harness")
SMOKE_TIMEOUT_MS = 20_000
SCREENSHOT_AFTER_TICK_MS = 1_500
SMOKE_CHILD_DEADLINE_S = 60.0  # a frozen app's second start (the import child) on a slow CI machine
SMOKE_MASTER = ("token,symbol,name,exchange,segment,instrument_type,tick_size,lot_size\n"
                "2885,RELIANCE,Reliance Industries,NSE,NSE,EQ,0.05,1\n"
                "3045,SBIN,State Bank of India,NSE,NSE,EQ,0.05,1\n"
                "1594,INFY,Infosys,NSE,NSE,EQ,0.05,1\n")


def smoke_checks() -> list[str]:
    """What a window test does not reach in a frozen build: one master import through the import child (the
    executable started again with ``instruments import --machine``), from a folder whose name is not ASCII, and
    the keyring backend the build picked. Lines to print; raises with the reason when the import fails."""
    from .cli import keyring_backend_name
    from .instruments.formats import Cancel
    from .instruments.importer import child_command, import_in_child

    work = Path(tempfile.mkdtemp(prefix="airalgo-smoke-डेटा-"))
    cancel = Cancel.new()
    timer = threading.Timer(SMOKE_CHILD_DEADLINE_S, cancel.set)
    timer.start()
    try:
        master = work / "मास्टर.csv"
        master.write_text(SMOKE_MASTER, encoding="utf-8")
        started = time.monotonic()
        outcome = import_in_child([str(master)], work / "data", cancel=cancel)
        took = time.monotonic() - started
        if outcome.kept != 3 or outcome.catalog.get("2885") is None:
            raise RuntimeError(f"the import child kept {outcome.kept} of 3 instruments")
    finally:
        timer.cancel()
        shutil.rmtree(work, ignore_errors=True)
    name, usable = keyring_backend_name()
    program = os.path.basename(child_command()[0])
    return [f"smoke test import child: {outcome.kept} instruments kept from {outcome.fmt} in {took:.2f} s "
            f"({program} instruments import, non-ASCII folder)",
            f"smoke test keyring: {name} ({'usable' if usable else 'not usable: a key is kept for the session only'})"]


def offscreen_platform(width: int, height: int, dpr: float, folder: Path, cwd: Path | None = None) -> str:
    """``offscreen:configfile=…`` for one screen of ``width`` × ``height`` logical pixels at device pixel ratio
    ``dpr`` (the config is written into ``folder``). Qt splits the platform argument at ":", so on Windows the path is
    given relative to ``cwd`` (the Qt process's working folder, this one's by default); on another drive than it,
    plain ``offscreen`` (Qt's 800×800 screen)."""
    config = folder / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "offscreen", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": dpr}]}),
                      encoding="utf-8")
    path = str(config)
    if os.name == "nt":
        try:
            path = os.path.relpath(config, cwd or os.getcwd()).replace("\\", "/")
        except ValueError:
            return "offscreen"
    return f"offscreen:configfile={path}"


class HarnessHost(Protocol):
    """What the harness needs from the application."""

    desk: TradingDesk
    window: QWidget

    def request_quit(self) -> None: ...


class Harness:
    """Smoke test, screenshot, quit-after and start-up marks, driven by the command line."""

    def __init__(self, host: HarnessHost, *, smoke: bool = False, screenshot: str | None = None,
                 quit_after: float | None = None) -> None:
        self.host = host
        self.smoke = smoke
        self.screenshot = Path(screenshot) if screenshot else None
        self.quit_after = quit_after
        self.exit_code = 0
        self.screenshot_done = False
        self.started = time.monotonic()
        self.finished = False  # the app is quitting: timers that fire late do nothing
        self.checking = False  # the smoke test's import child and keyring checks are running
        self._checks: asyncio.Future[None] | None = None
        host.desk.add_listener(self._on_notice)

    def window_shown(self) -> None:
        """Call right after the window is shown: start-up mark and the timers."""
        if os.environ.get("AIRALGO_STARTUP_MARK"):  # benchmarks: cold start ends when the window is shown
            QApplication.processEvents()
            print(f"startup-mark {time.time()}", flush=True)
        if self.quit_after:
            QTimer.singleShot(int(self.quit_after * 1000), self._quit_after)
        if self.smoke:
            QTimer.singleShot(SMOKE_TIMEOUT_MS, self._smoke_timeout)

    def _on_notice(self, notice: object) -> None:
        if not isinstance(notice, FirstTick):
            return
        if self.smoke:
            if self.checking or self.finished:
                return
            print(f"smoke test ok: window shown, simulator up, first tick after "
                  f"{time.monotonic() - self.started:.2f} s", flush=True)
            self.checking = True
            self._checks = asyncio.ensure_future(self._smoke_checks())
        elif self.screenshot is not None:
            QTimer.singleShot(SCREENSHOT_AFTER_TICK_MS, self._screenshot_after_tick)

    def _screenshot_after_tick(self) -> None:
        if self.finished or self.screenshot_done:
            return
        self.take_screenshot()
        if not self.quit_after:
            self._quit()

    def take_screenshot(self) -> None:
        """Save a grab of the main window to ``--screenshot`` (exit code 1 when it cannot be written)."""
        if self.screenshot is None:
            return
        self.screenshot_done = True
        self.screenshot.parent.mkdir(parents=True, exist_ok=True)
        ok = self.host.window.grab().save(str(self.screenshot))
        log.info("screenshot %s: %s", self.screenshot, "saved" if ok else "FAILED")
        if not ok:
            self.exit_code = 1

    async def _smoke_checks(self) -> None:
        """The import child and the keyring, off the Qt thread; then quit (exit 3 when the child failed)."""
        try:
            for line in await asyncio.to_thread(smoke_checks):
                print(line, flush=True)
        except Exception as exc:  # any failure is the smoke test's finding, said in one line
            print(f"smoke test FAILED: the master import through the child process failed "
                  f"({type(exc).__name__}: {exc})", file=sys.stderr, flush=True)
            self.exit_code = 3
        self._quit()

    def _smoke_timeout(self) -> None:
        if self.finished or self.checking:  # the checks after the first tick keep their own deadline
            return
        client = self.host.desk.client
        state = client.state.describe() if client is not None else "no connection"
        print(f"smoke test FAILED: no tick within {SMOKE_TIMEOUT_MS // 1000} s ({state})", file=sys.stderr, flush=True)
        self.exit_code = 2
        self._quit()

    def _quit_after(self) -> None:
        if self.screenshot is not None and not self.screenshot_done and not self.finished:
            self.take_screenshot()
        self._quit()

    def _quit(self) -> None:
        self.finished = True
        self.host.request_quit()
