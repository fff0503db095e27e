"""Ingest: frames → protocol → market store, without a socket; and through a real websocket."""

from __future__ import annotations

import asyncio
import time

import orjson

from airalgo_desktop.api.channel import ChannelConfig, ChannelMachine
from airalgo_desktop.api.client import AirAlgoClient, ClientConfig
from airalgo_desktop.api.events import ConnectionState, State, Ticks
from airalgo_desktop.store.market import MarketStore

from .common import ltp_frames, simulator, synthetic_tokens


def raw_decode_rate(frames: list[str], rounds: int) -> float:
    """The ceiling: bare ``orjson.loads`` plus a dict write per token."""
    latest: dict[str, dict] = {}
    count = 0
    start = time.perf_counter()
    for _ in range(rounds):
        for frame in frames:
            for token, quote in orjson.loads(frame)["payload"].items():
                latest[token] = quote
                count += 1
    return count / (time.perf_counter() - start)


def protocol_rate(frames: list[str], rounds: int) -> float:
    """Our path: the channel machine (validation, metrics, events) into the market store."""
    machine = ChannelMachine(ChannelConfig("bench"))
    machine._state = ConnectionState(State.JOINED)  # as after a join
    machine.topic = "api:bench"
    store = MarketStore()
    start = time.perf_counter()
    for _ in range(rounds):
        for frame in frames:
            machine.receive(frame, 0.0)
            for event in machine.take_events():
                if type(event) is Ticks:
                    store.apply(event.quotes)
    return store.updates / (time.perf_counter() - start)


def ingest(quick: bool) -> dict[str, float]:
    """Both rates and their ratio, measured side by side (best of three)."""
    frames = ltp_frames(2000)
    rounds = 3 if quick else 10
    raw = max(raw_decode_rate(frames, rounds) for _ in range(3))
    ours = max(protocol_rate(frames, rounds) for _ in range(3))
    return {"ingest_updates_per_s": ours, "raw_decode_updates_per_s": raw, "ingest_vs_raw_decode_ratio": ours / raw}


def socket_ingest(quick: bool) -> float:
    """Updates/s received through a real websocket from a simulator process pushing as fast as it can."""
    seconds = 4.0 if quick else 10.0
    with simulator(rate=600, synthetic=1000) as (ws_url, token_url, key):
        async def run() -> float:
            client = AirAlgoClient(ClientConfig(ws_url, token_url, key, stall_timeout=None))
            store = MarketStore()
            client.add_listener(lambda e: store.apply(e.quotes) if type(e) is Ticks else None)
            client.subscribe(synthetic_tokens(1000))
            await client.start()
            await client.wait_for(lambda s: s.joined, 15)
            await asyncio.sleep(1.0)  # warm-up
            start_updates, start = store.updates, time.perf_counter()
            await asyncio.sleep(seconds)
            rate = (store.updates - start_updates) / (time.perf_counter() - start)
            await client.close()
            return rate

        return asyncio.run(run())
