"""GUI fixtures: a qasync loop shared by Qt and the simulator (as in the app), isolated settings and files."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import pytest
from PySide6.QtCore import QSettings

from airalgo_desktop.__main__ import build_parser
from airalgo_desktop.app import Application, Paths


@pytest.fixture
def paths(tmp_path) -> Paths:
    return Paths.resolve(str(tmp_path / "home"))


@pytest.fixture
def feb_2025(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trade the bundled sample's FEB 2025 contracts as of 10 Feb 2025 (they expired since; until the generated
    demo universe with live expiries replaces the sample, tests that trade its futures pin the day)."""
    import datetime

    monkeypatch.setattr("airalgo_desktop.domain.orders.trading_today", lambda: datetime.date(2025, 2, 10))


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


async def wait_until(predicate: Callable[[], object], timeout: float = 10.0, step: float = 0.02) -> None:
    """Poll ``predicate`` while the loop (Qt and asyncio) keeps running."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(step)


def app_args(*argv: str):
    return build_parser().parse_args(list(argv))


@contextlib.asynccontextmanager
async def running_app(args, paths: Paths, keystore=None):
    """Start :class:`Application` (demo or not), yield it once the window is up, then quit cleanly."""
    app = Application(args, paths, keystore)
    task = asyncio.ensure_future(app.run())
    try:
        await wait_until(lambda: app.window.isVisible())
        yield app
    finally:
        app.request_quit()
        await asyncio.wait_for(task, 15)
