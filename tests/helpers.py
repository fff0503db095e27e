"""A deliberately dumb websocket client for poking the simulator frame by frame."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


@contextlib.contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 (a free port) in a thread, for as long as the block runs; yields its base
    URL. Handler threads are daemons, so a handler still trickling bytes never holds the test up at the end."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def shape(value: Any) -> Any:
    """JSON shape of a value: dicts keep their keys, leaves become their JSON type name."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string"


class RawClient:
    """Send Phoenix V1 (or V2) frames, read them back as dicts."""

    def __init__(self, ws: ClientConnection, v2: bool = False) -> None:
        self.ws = ws
        self.v2 = v2
        self.refs = itertools.count(1)
        self.inbox: list[Any] = []

    @classmethod
    async def connect(cls, url: str, *, v2: bool = False) -> RawClient:
        ws = await connect(url + ("?vsn=2.0.0" if v2 else ""), max_size=None, ping_interval=None)
        return cls(ws, v2)

    async def close(self) -> None:
        await self.ws.close()

    async def send(self, topic: str, event: str, payload: Any, ref: str | None = None,
                   join_ref: str | None = None) -> str:
        ref = str(next(self.refs)) if ref is None else ref
        if self.v2:
            frame: Any = [join_ref, ref, topic, event, payload]
        else:
            frame = {"topic": topic, "event": event, "payload": payload, "ref": ref}
        await self.ws.send(json.dumps(frame))
        return ref

    async def recv(self, timeout: float = 5.0) -> Any:
        if self.inbox:
            return self.inbox.pop(0)
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        return json.loads(raw)

    async def recv_until(self, pred: Callable[[Any], bool], timeout: float = 5.0) -> Any:
        """First frame matching ``pred`` (others are kept in the inbox, in order)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for i, frame in enumerate(self.inbox):
            if pred(frame):
                return self.inbox.pop(i)
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError("no matching frame")
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), left))
            if pred(frame):
                return frame
            self.inbox.append(frame)

    async def request(self, topic: str, event: str, payload: Any, timeout: float = 5.0) -> Any:
        """Send and wait for the phx_reply with the same ref."""
        ref = await self.send(topic, event, payload)
        return await self.recv_until(lambda f: f.get("event") == "phx_reply" and f.get("ref") == ref, timeout)

    async def event(self, name: str, timeout: float = 5.0) -> Any:
        return await self.recv_until(lambda f: isinstance(f, dict) and f.get("event") == name, timeout)
