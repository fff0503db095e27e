"""Shared fixtures: Qt offscreen, a real simulator on 127.0.0.1, and a raw Phoenix client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path

from airalgo_desktop.harness import offscreen_platform

# one 1920×1080 screen (the offscreen platform's default is 800×800, smaller than the window sizes the layout tests
# ask for, and the window is kept inside its screen); tests/ui/test_screen_fit.py runs the other sizes
os.environ.setdefault("QT_QPA_PLATFORM",
                      offscreen_platform(1920, 1080, 1.0, Path(tempfile.mkdtemp(prefix="airalgo-"))))

import pytest
import pytest_asyncio
import qasync

from airalgo_desktop.sim.server import SimConfig, SimServer
from tests.helpers import RawClient

TEST_KEY = "test-key-7Q2x9"
OTHER_KEY = "second-key-M4k8"


@pytest_asyncio.fixture
async def sim():
    """A fresh simulator on a free loopback port, fast ticks and fills."""
    server = SimServer(SimConfig(api_keys=(TEST_KEY, OTHER_KEY), rate_hz=20, fill_delay=0.05, seed=7))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest_asyncio.fixture
async def raw(sim):
    """A raw V1 client connected to ``sim`` (not joined)."""
    client = await RawClient.connect(sim.ws_url)
    try:
        yield client
    finally:
        await client.close()


@pytest_asyncio.fixture
async def joined(sim, raw):
    """A raw V1 client joined to ``api:TEST_KEY``."""
    token = sim.issue_token(TEST_KEY)
    reply = await raw.request(f"api:{TEST_KEY}", "phx_join", {"access_token": token})
    assert reply["payload"]["status"] == "ok"
    return raw


@pytest.fixture
def qloop(qapp):
    """A qasync event loop: run scenarios with ``qloop.run_until_complete(coro())``."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    yield loop
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    if pending:
        with contextlib.suppress(Exception):
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()
    asyncio.set_event_loop(None)
