"""A feed that only sends: ``python -m benchmarks.sender --port P --api-key K``.

The embedded simulator speaks the whole protocol (token endpoint, join, heartbeats, subscriptions) and this process
uses it for that, but its market step and JSON encoding cost about as much per update as the client's decoding, so
a client measured against it may be measuring the simulator. Here the ``ltp`` frames are encoded once, before the
first client joins, and sent back to back as fast as the socket takes them; the simulator's own ticks run at 1 Hz.
Prints the same ``API_KEY=`` line as the simulator when it is listening; stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from websockets.exceptions import ConnectionClosed

from airalgo_desktop.sim.server import SimConfig, SimServer

from .common import ltp_frames


async def blast(server: SimServer, frames: list[str], stop: asyncio.Event) -> None:
    """Send ``frames`` round and round to every connection with a subscribed channel."""
    while not stop.is_set():
        targets = [conn for conn in list(server._conns)
                   if any(channel.subscriptions for channel in conn.channels.values())]
        if not targets:
            await asyncio.sleep(0.05)
            continue
        for conn in targets:
            with contextlib.suppress(ConnectionClosed):
                for frame in frames:
                    await conn.ws.send(frame)  # waits while the socket's buffer is full: the client sets the pace


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sender")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", default="bench")
    parser.add_argument("--per-frame", type=int, default=1000, help="updates in each frame")
    args = parser.parse_args()
    frames = ltp_frames(100, per_frame=args.per_frame, topic=f"api:{args.api_key}")
    server = await SimServer(SimConfig(port=args.port, api_keys=(args.api_key,), synthetic=1000, rate_hz=1.0,
                                       seed=3, margin_limit=100_000_000)).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    print(f"API_KEY={args.api_key}", flush=True)
    task = asyncio.create_task(blast(server, frames, stop))
    await stop.wait()
    task.cancel()
    await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
