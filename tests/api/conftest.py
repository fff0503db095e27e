"""Client fixtures: a real AirAlgoClient with short timings against the real simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest_asyncio

from airalgo_desktop.api.client import AirAlgoClient, ClientConfig
from airalgo_desktop.api.events import ConnectionState, Event, State
from tests.conftest import TEST_KEY


class Recorder:
    """Collects a client's events and waits for conditions on them."""

    def __init__(self, client: AirAlgoClient) -> None:
        self.client = client
        self.events: list[Event] = []
        self._changed = asyncio.Event()
        client.add_listener(self._on_event)

    def _on_event(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

    async def until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async def wait() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)

    async def joined(self, timeout: float = 10.0) -> ConnectionState:
        return await self.client.wait_for(lambda s: s.state is State.JOINED, timeout)


def fast_config(sim, api_key: str = TEST_KEY, **overrides) -> ClientConfig:
    options = dict(heartbeat_interval=0.5, push_timeout=2.0, stall_timeout=None, http_timeout=2.0, open_timeout=2.0)
    options.update(overrides)
    return ClientConfig(sim.ws_url, sim.base_http, api_key, **options)


@pytest_asyncio.fixture
async def make_client(sim):
    clients: list[AirAlgoClient] = []

    async def factory(**overrides) -> tuple[AirAlgoClient, Recorder]:
        client = AirAlgoClient(fast_config(sim, **overrides))
        recorder = Recorder(client)
        clients.append(client)
        return client, recorder

    yield factory
    for client in clients:
        await client.close()
