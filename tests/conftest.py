"""Shared fixtures: Qt offscreen, a real simulator on 127.0.0.1, and a raw Phoenix client."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest_asyncio

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
