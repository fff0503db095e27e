"""Ingest: frames → protocol → market store, without a socket; and through a real websocket."""

from __future__ import annotations

import asyncio
import time

import orjson

from airalgo_desktop.api.channel import ChannelConfig, ChannelMachine
from airalgo_desktop.api.client import AirAlgoClient, ClientConfig
from airalgo_desktop.api.events import Send, Ticks
from airalgo_desktop.store.market import MarketStore

from .common import cpu_seconds, ltp_frames, process_cpu_seconds, server_process, synthetic_tokens


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


def joined_machine(tokens: list[str]) -> ChannelMachine:
    """A channel machine driven to Joined as the client drives it (no socket), wanting ``tokens``."""
    machine = ChannelMachine(ChannelConfig("bench", stall_timeout=None))
    getattr(machine, "subscriptions", machine).want(tokens)  # trees before the split (benchmarks.ab) had want() here
    machine.start(0.0)
    machine.token_received("bench-token", 0.0)
    machine.socket_opened(0.0)
    join = next(orjson.loads(c.text) for c in machine.take_commands() if isinstance(c, Send))
    machine.receive(orjson.dumps({"topic": "api:bench", "event": "phx_reply", "ref": join["ref"],
                                  "payload": {"status": "ok", "response": {}}}).decode(), 0.0)
    machine.take_commands()
    machine.take_events()
    return machine


def protocol_rate(frames: list[str], rounds: int) -> float:
    """Our path: the channel machine (validation, metrics, events) into the market store."""
    machine = joined_machine(synthetic_tokens(1000))  # the tokens ltp_frames sends: only wanted ticks are kept
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


def socket_ingest(quick: bool, source: str = "sender") -> dict[str, float]:
    """Updates received through a real websocket, with what each side spent on them.

    ``source`` is ``sender`` (benchmarks.sender: pre-encoded frames back to back, so the client sets the pace) or
    ``simulator`` (the embedded simulator ticking 1,000 tokens at 600 Hz). Returns the rate, the client's CPU
    seconds per million updates (this process's CPU time: robust on a busy machine, where the rate is not) and the
    server process's CPU as % of one core over the same window."""
    seconds = 4.0 if quick else 10.0
    if source == "sender":
        args = ["-m", "benchmarks.sender", "--api-key", "bench"]
    else:
        args = ["-m", "airalgo_desktop.sim", "--api-key", "bench", "--synthetic", "1000", "--rate", "600",
                "--activity", "1.0", "--log-level", "WARNING", "--seed", "3"]
    with server_process(args, "bench") as (ws_url, token_url, proc):
        async def run() -> dict[str, float]:
            client = AirAlgoClient(ClientConfig(ws_url, token_url, "bench", stall_timeout=None))
            store = MarketStore()
            client.add_listener(lambda e: store.apply(e.quotes) if type(e) is Ticks else None)
            client.subscribe(synthetic_tokens(1000))
            await client.start()
            await client.wait_for(lambda s: s.joined, 15)
            await asyncio.sleep(1.0)  # warm-up
            n0, t0, cpu0, server0 = store.updates, time.perf_counter(), cpu_seconds(), process_cpu_seconds(proc.pid)
            await asyncio.sleep(seconds)
            updates, wall = store.updates - n0, time.perf_counter() - t0
            cpu, server1 = cpu_seconds() - cpu0, process_cpu_seconds(proc.pid)
            await client.close()
            return {"updates_per_s": updates / wall, "client_cpu_s_per_m": cpu * 1e6 / max(updates, 1),
                    "client_cpu_pct": 100 * cpu / wall,
                    "server_cpu_pct": 100 * (server1 - server0) / wall if server0 is not None and server1 is not None
                    else float("nan")}

        return asyncio.run(run())
