"""The embedded AirAlgo-compatible server.

One port serves ``GET /api/token/?api_key=K`` (JSON) and the Phoenix websocket at ``/socket/websocket``
(V1 objects by default, V2 arrays with ``?vsn=2.0.0``), plus ``/_sim/…`` admin endpoints for tests and
benchmarks that run it in another process. Every reply and error text is the API doc's, verbatim.

Decisions where AirAlgo's behaviour is not documented (each is a test):

* unknown tokens in ``subscribe`` are ignored and logged, never an error reply (the doc shows none);
* a fresh subscriber gets an immediate ``ltp`` snapshot of the tokens it added (the doc's "Response" to
  ``subscribe`` is an ``ltp`` push);
* ``unsubscribe`` pushes ``{"tokens": [...]}`` listing the tokens that were removed;
* an event the channel does not know, or a payload of the wrong shape, gets an error reply with a reason
  instead of crashing the channel;
* an ``order_response`` for a key with no joined channel is kept (up to 10,000) and delivered when the key
  joins again, like a broker's order-update queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ..api.phoenix import PHOENIX_TOPIC, DecodeError, Event, Message, Vsn, decode, encode, reply
from ..domain.clock import Clock, process_clock
from ..domain.instruments import Instrument, InstrumentMaster
from ..domain.money import Paisa
from ..domain.nsetime import IST
from ..instruments.demo import demo_universe
from .market import Market
from .orders import OrderEngine

log = logging.getLogger("airalgo.sim")

REASON_INVALID_KEY = "Invalid API Key"
REASON_INVALID_TOKEN = "Invalid Access Token. Try generating fresh Access Token"
REASON_UNMATCHED = "unmatched topic"
SOCKET_PATH = "/socket/websocket"
TOKEN_PATH = "/api/token"
MAX_UNDELIVERED = 10_000
MAX_BACKLOG = 2_000  # queued ltp frames per socket before ticks are conflated for a slow reader


class TokenFault(enum.Enum):
    """Ways the token endpoint can misbehave (a dead or broken token server)."""

    HTTP_500 = "http500"
    NOT_JSON = "notjson"
    STATUS_ERROR = "status_error"
    NO_TOKEN = "no_token"
    HANG = "hang"


class Malformed(enum.Enum):
    """Kinds of bad frame the simulator can push to its clients."""

    NOT_JSON = "not_json"
    NOT_OBJECT = "not_object"
    UNKNOWN_EVENT = "unknown_event"
    UNKNOWN_TOPIC = "unknown_topic"
    WRONG_TYPES = "wrong_types"
    OVERSIZED = "oversized"
    BINARY = "binary"


@dataclass
class SimConfig:
    """Everything the simulator can be told. Money in paisa, times in seconds."""

    host: str = "127.0.0.1"
    port: int = 0
    api_keys: tuple[str, ...] = ("demo",)
    rate_hz: float = 4.0
    token_ttl: float | None = None
    idle_timeout: float = 60.0
    margin_limit: Paisa = 50_000_00
    fill_delay: float = 0.2
    activity: float = 0.6
    max_quiet: float = 0.75
    seed: int | None = None
    instruments: InstrumentMaster | None = None
    synthetic: int = 0
    deliver_missed_orders: bool = True
    max_size: int = 64 * 2**20
    stamp: bool = False
    clock: Clock | None = None  # None: the process clock (domain.clock.process_clock), which tests may freeze


@dataclass
class SimStats:
    """Counters tests and benchmarks read."""

    connections: int = 0
    joins_ok: int = 0
    joins_failed: int = 0
    tokens_issued: int = 0
    token_requests: int = 0
    heartbeats: int = 0
    frames_in: int = 0
    malformed_in: int = 0
    ltp_frames: int = 0
    ltp_updates: int = 0
    ticks_conflated: int = 0
    unknown_tokens: int = 0
    orders_received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly view (orders as a count plus their payloads without the key)."""
        data = {k: v for k, v in self.__dict__.items() if k != "orders_received"}
        data["orders_received"] = len(self.orders_received)
        data["orders"] = [payload for _key, payload in self.orders_received]
        return data


@dataclass
class _TokenInfo:
    api_key: str
    serial: int
    issued: float


@dataclass
class _Channel:
    topic: str
    api_key: str
    join_ref: str | None
    token_serial: int
    subscriptions: set[str] = field(default_factory=set)


class _Conn:
    """One websocket: its serializer, joined channels and an ordered, optionally delayed, send queue."""

    def __init__(self, server: SimServer, ws: ServerConnection, vsn: Vsn) -> None:
        self.server = server
        self.ws = ws
        self.vsn = vsn
        self.channels: dict[str, _Channel] = {}
        self.queue: deque[tuple[float, str | bytes, bool]] = deque()
        self.wakeup = asyncio.Event()
        self.ltp_backlog = 0
        self.writer = asyncio.create_task(self._write())

    def send(self, message: Message) -> None:
        self.send_raw(encode(message, self.vsn), is_tick=message.event == Event.LTP)

    def send_raw(self, text: str | bytes, *, is_tick: bool = False) -> None:
        if is_tick:
            if self.ltp_backlog >= MAX_BACKLOG:
                self.server.stats.ticks_conflated += 1
                return
            self.ltp_backlog += 1
        self.queue.append((time.monotonic() + self.server.reply_delay, text, is_tick))
        self.wakeup.set()

    async def _write(self) -> None:
        with contextlib.suppress(ConnectionClosed, asyncio.CancelledError):
            while True:
                while not self.queue:
                    self.wakeup.clear()
                    await self.wakeup.wait()
                due, text, is_tick = self.queue.popleft()
                if is_tick:
                    self.ltp_backlog -= 1
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                await self.ws.send(text)


def _synthetic_instruments(count: int) -> list[Instrument]:
    """Extra equity rows (tokens 900001…) for load tests that need more than the sample's 173."""
    return [
        Instrument(
            token=str(900001 + i), symbol=f"SYN{i:05d}", name=f"Synthetic {i}", tick_size=5,
            prev_close=10_000 + (i * 731) % 400_000,
        )
        for i in range(count)
    ]


def _redact_topic(topic: str) -> str:
    return "api:***" if topic.startswith("api:") else topic


class SimServer:
    """Start with ``await SimServer(SimConfig()).start()``; stop with ``await server.stop()``."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        cfg = self.config
        # the demo universe of today: derivatives that have not expired, cash rows with their real tokens
        self.clock: Clock = cfg.clock or process_clock
        master = cfg.instruments or InstrumentMaster(demo_universe(self.clock().astimezone(IST).date()))
        if cfg.synthetic:
            master = InstrumentMaster([*master, *_synthetic_instruments(cfg.synthetic)])
        self.master = master
        self.market = Market(master, seed=cfg.seed, activity=cfg.activity, max_quiet=cfg.max_quiet, stamp=cfg.stamp,
                             clock=self.clock)
        self.engine = OrderEngine(master, self.market, self._deliver_order, margin_limit=cfg.margin_limit,
                                  fill_delay=cfg.fill_delay, clock=self.clock)
        self.api_keys = set(cfg.api_keys)
        self.stats = SimStats()
        self.reply_delay = 0.0
        self.token_fault: TokenFault | None = None
        self.stalled = False
        self._tokens: dict[str, _TokenInfo] = {}
        self._serial = 0
        self._min_valid_serial = 0
        self._mute_below_serial = 0
        self._conns: set[_Conn] = set()
        self._undelivered: dict[str, deque[dict[str, Any]]] = {}
        self._server: Server | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._token_unhang = asyncio.Event()
        self._background: set[asyncio.Task[None]] = set()
        self.port = cfg.port

    # ------------------------------------------------------------------ life cycle
    async def start(self) -> SimServer:
        """Listen on ``config.host:config.port`` (0 = a free port, see :attr:`port`) and start ticking."""
        await self._listen()
        self._ticker = asyncio.create_task(self._tick_loop(), name="sim-ticker")
        return self

    async def _listen(self) -> None:
        self._server = await serve(
            self._handle,
            self.config.host,
            self.port,
            process_request=self._process_request,
            ping_interval=None,  # Phoenix relies on the client's heartbeat, not websocket pings
            max_size=self.config.max_size,
            compression=None,
        )
        sock = next(iter(self._server.sockets))
        self.port = sock.getsockname()[1]
        log.info("simulator listening on %s:%s", self.config.host, self.port)

    async def stop(self) -> None:
        """Close every socket and stop ticking."""
        if self._ticker:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        self.engine.cancel_timers()
        self._token_unhang.set()
        await self._close_server()

    async def _close_server(self) -> None:
        if self._server is not None:
            self._server.close(close_connections=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None
        for conn in list(self._conns):
            conn.writer.cancel()
        self._conns.clear()

    async def __aenter__(self) -> SimServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_http(self) -> str:
        """``TOKEN_SERVER_URL`` for this server."""
        return f"http://{self.config.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """``WEBSOCKET_SERVER_URL`` for this server."""
        return f"ws://{self.config.host}:{self.port}{SOCKET_PATH}"

    def env_lines(self, api_key: str | None = None) -> str:
        """The ``.env`` lines a client needs to talk to this server."""
        key = api_key or sorted(self.api_keys)[0]
        return f"WEBSOCKET_SERVER_URL={self.ws_url}\nTOKEN_SERVER_URL={self.base_http}\nAPI_KEY={key}\n"

    # ------------------------------------------------------------------ tokens
    def issue_token(self, api_key: str) -> str:
        """Mint an access token for a valid key (what ``GET /api/token`` does)."""
        self._serial += 1
        token = secrets.token_urlsafe(24)
        self._tokens[token] = _TokenInfo(api_key, self._serial, time.monotonic())
        self.stats.tokens_issued += 1
        return token

    def _token_ok(self, token: Any, api_key: str) -> _TokenInfo | None:
        info = self._tokens.get(token) if isinstance(token, str) else None
        if info is None or info.api_key != api_key or info.serial <= self._min_valid_serial:
            return None
        ttl = self.config.token_ttl
        if ttl is not None and time.monotonic() - info.issued > ttl:
            return None
        return info

    # ------------------------------------------------------------------ HTTP
    @staticmethod
    def _json_response(status: int, body: Any) -> Response:
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
                  405: "Method Not Allowed", 500: "Internal Server Error"}.get(status, "Error")
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(data))),
                           ("Connection", "close")])
        return Response(status, reason, headers, data)

    async def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path, _, query = request.path.partition("?")
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        route = path.rstrip("/") or "/"
        if route == SOCKET_PATH:
            if request.headers.get("Upgrade", "").lower() == "websocket":
                return None
            return self._json_response(400, {"status": "error", "message": "websocket upgrade required"})
        if route == TOKEN_PATH:
            return await self._token_endpoint(params)
        if route.startswith("/_sim"):
            return await self._admin(route, params)
        return self._json_response(404, {"status": "error", "message": f"no route for {route}"})

    async def _token_endpoint(self, params: dict[str, str]) -> Response:
        self.stats.token_requests += 1
        fault = self.token_fault
        if fault is TokenFault.HANG:
            self._token_unhang.clear()
            await self._token_unhang.wait()
        if fault is TokenFault.HTTP_500:
            return self._json_response(500, {"status": "error", "message": "internal error"})
        if fault is TokenFault.NOT_JSON:
            return self._json_response(200, b"<html><body>502 Bad Gateway</body></html>")
        api_key = params.get("api_key", "")
        if not api_key:
            return self._json_response(400, {"status": "error", "message": "api_key is required"})
        if api_key not in self.api_keys:
            return self._json_response(401, {"status": "error", "message": REASON_INVALID_KEY})
        if fault is TokenFault.STATUS_ERROR:
            return self._json_response(200, {"status": "error", "message": "token service unavailable"})
        if fault is TokenFault.NO_TOKEN:
            return self._json_response(200, {"status": "ok"})
        return self._json_response(200, {"status": "ok", "access_token": self.issue_token(api_key)})

    async def _admin(self, route: str, params: dict[str, str]) -> Response:
        """``/_sim/stats`` and ``/_sim/fault?name=…`` for a simulator running in another process."""
        if route == "/_sim/stats":
            return self._json_response(200, self.stats.as_dict())
        if route == "/_sim/fault":
            name = params.get("name", "")
            if name == "restart":  # closing the listener from inside its own request would wait on itself
                task = asyncio.create_task(self.apply_fault(name, params))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
                return self._json_response(200, {"status": "ok", "fault": name})
            try:
                await self.apply_fault(name, params)
            except (ValueError, KeyError) as exc:
                return self._json_response(400, {"status": "error", "message": str(exc)})
            return self._json_response(200, {"status": "ok", "fault": name})
        return self._json_response(404, {"status": "error", "message": f"no route for {route}"})

    # ------------------------------------------------------------------ websocket
    async def _handle(self, ws: ServerConnection) -> None:
        query = ws.request.path.partition("?")[2] if ws.request else ""
        vsn = Vsn.from_query(parse_qs(query).get("vsn", [None])[-1])
        conn = _Conn(self, ws, vsn)
        self._conns.add(conn)
        self.stats.connections += 1
        try:
            while True:
                try:
                    raw = await asyncio.wait_for(ws.recv(), self.config.idle_timeout)
                except TimeoutError:
                    # Phoenix closes an idle transport silently
                    log.info("closing idle socket after %.1fs", self.config.idle_timeout)
                    await ws.close(1000, "")
                    break
                self.stats.frames_in += 1
                if self.stalled:
                    continue
                self._dispatch(conn, raw)
        except ConnectionClosed:
            pass
        finally:
            self._conns.discard(conn)
            conn.writer.cancel()

    def _dispatch(self, conn: _Conn, raw: str | bytes) -> None:
        msg = decode(raw, conn.vsn)
        if isinstance(msg, DecodeError):
            self.stats.malformed_in += 1
            log.warning("ignored malformed frame from client: %s", msg.reason)
            return
        if msg.topic == PHOENIX_TOPIC:
            if msg.event == Event.HEARTBEAT:
                self.stats.heartbeats += 1
                conn.send(reply(msg, "ok"))
            else:
                conn.send(reply(msg, "error", {"reason": REASON_UNMATCHED}))
            return
        if msg.event == Event.JOIN:
            self._join(conn, msg)
            return
        channel = conn.channels.get(msg.topic)
        if channel is None:
            conn.send(reply(msg, "error", {"reason": REASON_UNMATCHED}))
            return
        if msg.event == Event.LEAVE:
            conn.send(reply(msg, "ok"))
            conn.send(Message(msg.topic, Event.CLOSE, {}, channel.join_ref, channel.join_ref))
            del conn.channels[msg.topic]
        elif msg.event == Event.SUBSCRIBE:
            self._subscribe(conn, channel, msg)
        elif msg.event == Event.UNSUBSCRIBE:
            self._unsubscribe(conn, channel, msg)
        elif msg.event == Event.ORDER:
            if not isinstance(msg.payload, dict):
                conn.send(reply(msg, "error", {"reason": "invalid payload: expected an order object"}))
                return
            self.stats.orders_received.append((channel.api_key, dict(msg.payload)))
            self.engine.submit(channel.api_key, msg.payload)
        else:
            log.warning("unknown event %r on %s", msg.event[:40], _redact_topic(msg.topic))
            conn.send(reply(msg, "error", {"reason": f"unknown event {msg.event[:40]}"}))

    def _join(self, conn: _Conn, msg: Message) -> None:
        topic = msg.topic
        if not topic.startswith("api:"):
            self.stats.joins_failed += 1
            conn.send(reply(msg, "error", {"reason": REASON_UNMATCHED}))
            return
        api_key = topic[4:]
        if api_key not in self.api_keys:
            self.stats.joins_failed += 1
            conn.send(reply(msg, "error", {"reason": REASON_INVALID_KEY}))
            return
        token = msg.payload.get("access_token") if isinstance(msg.payload, dict) else None
        info = self._token_ok(token, api_key)
        if info is None:
            self.stats.joins_failed += 1
            conn.send(reply(msg, "error", {"reason": REASON_INVALID_TOKEN}))
            return
        old = conn.channels.pop(topic, None)
        if old is not None:
            # Phoenix: a duplicate join closes the existing channel before the new one replies
            conn.send(Message(topic, Event.CLOSE, {}, old.join_ref, old.join_ref))
        join_ref = msg.join_ref if msg.join_ref is not None else msg.ref
        conn.channels[topic] = _Channel(topic, api_key, join_ref, info.serial)
        self.stats.joins_ok += 1
        conn.send(reply(msg, "ok"))
        self._flush_undelivered(api_key)

    def _token_list(self, conn: _Conn, msg: Message) -> list[str] | None:
        payload = msg.payload
        items = payload.get("list") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            conn.send(reply(msg, "error", {"reason": 'invalid payload: expected {"list": [tokens]}'}))
            return None
        tokens: list[str] = []
        for item in items:
            if isinstance(item, str | int) and not isinstance(item, bool) and str(item).strip().isdigit():
                tokens.append(str(item).strip())
        return tokens

    def _subscribe(self, conn: _Conn, channel: _Channel, msg: Message) -> None:
        tokens = self._token_list(conn, msg)
        if tokens is None:
            return
        added = []
        for token in tokens:
            if token not in self.master:
                self.stats.unknown_tokens += 1
                log.info("subscribe: ignored unknown token %s", token[:20])
                continue
            if token not in channel.subscriptions:
                channel.subscriptions.add(token)
                added.append(token)
        if added and not self._muted(channel):
            snapshot = self.market.snapshot(added)
            if snapshot:
                conn.send(Message(channel.topic, Event.LTP, snapshot, None, channel.join_ref))

    def _unsubscribe(self, conn: _Conn, channel: _Channel, msg: Message) -> None:
        tokens = self._token_list(conn, msg)
        if tokens is None:
            return
        removed = [t for t in dict.fromkeys(tokens) if t in channel.subscriptions]
        channel.subscriptions.difference_update(removed)
        conn.send(Message(channel.topic, Event.UNSUBSCRIBE, {"tokens": removed}, None, channel.join_ref))

    def _muted(self, channel: _Channel) -> bool:
        return channel.token_serial < self._mute_below_serial

    # ------------------------------------------------------------------ pushes
    def _deliver_order(self, api_key: str, payload: dict[str, Any]) -> None:
        delivered = False
        for conn in list(self._conns):
            for channel in conn.channels.values():
                if channel.api_key == api_key:
                    conn.send(Message(channel.topic, Event.ORDER_RESPONSE, payload, None, channel.join_ref))
                    delivered = True
        if not delivered and self.config.deliver_missed_orders:
            queue = self._undelivered.setdefault(api_key, deque(maxlen=MAX_UNDELIVERED))
            queue.append(payload)

    def _flush_undelivered(self, api_key: str) -> None:
        queue = self._undelivered.pop(api_key, None)
        while queue:
            self._deliver_order(api_key, queue.popleft())

    async def _tick_loop(self) -> None:
        loop = asyncio.get_running_loop()
        interval = 1.0 / self.config.rate_hz
        next_at = loop.time()
        while True:
            next_at += interval
            delay = next_at - loop.time()
            if delay < -interval:  # fell behind (a busy machine): skip ahead, don't burst
                next_at = loop.time()
                delay = 0
            await asyncio.sleep(max(0.0, delay))
            try:
                self.tick_once()
            except Exception:  # never let one bad step kill the feed
                log.exception("market step failed")

    def tick_once(self, *, force_all: bool = False) -> dict[str, dict[str, object]]:
        """Advance the market one step and push ``ltp`` to every unmuted subscriber."""
        if self.stalled:
            return {}
        active: set[str] = set(self.engine.active_tokens())
        for conn in self._conns:
            for channel in conn.channels.values():
                active |= channel.subscriptions
        changed = self.market.step(active, time.monotonic(), force_all=force_all)
        self.engine.on_market()
        if not changed:
            return changed
        for conn in list(self._conns):
            for channel in conn.channels.values():
                if not channel.subscriptions or self._muted(channel):
                    continue
                subs = channel.subscriptions
                if len(subs) < len(changed):
                    payload = {t: changed[t] for t in subs if t in changed}
                else:
                    payload = {t: q for t, q in changed.items() if t in subs}
                if payload:
                    self.stats.ltp_frames += 1
                    self.stats.ltp_updates += len(payload)
                    conn.send(Message(channel.topic, Event.LTP, payload, None, channel.join_ref))
        return changed

    # ------------------------------------------------------------------ faults
    def drop_all(self) -> int:
        """Cut every socket at the TCP level, without a close frame (a network drop). Returns how many."""
        count = 0
        for conn in list(self._conns):
            transport = conn.ws.transport
            if transport is not None:
                transport.abort()
                count += 1
        log.info("fault: dropped %d socket(s)", count)
        return count

    def stall(self, on: bool = True) -> None:
        """Keep accepting sockets and frames but answer nothing and push nothing."""
        self.stalled = on
        log.info("fault: stall %s", "on" if on else "off")

    def expire_tokens(self) -> None:
        """Invalidate every access token issued so far (joined channels stay joined)."""
        self._min_valid_serial = self._serial
        log.info("fault: all access tokens expired")

    def mute_feed(self) -> None:
        """Joins, subscriptions and heartbeats still work, but no ticks flow to any channel joined with a
        token issued before now, until the client rejoins with a fresh token (overnight token rollover)."""
        self._mute_below_serial = self._serial + 1
        log.info("fault: feed muted for channels joined with older tokens")

    def crash_channels(self) -> int:
        """Send ``phx_error`` to every joined channel and forget it (a server-side channel crash)."""
        count = 0
        for conn in list(self._conns):
            for channel in list(conn.channels.values()):
                conn.send(Message(channel.topic, Event.ERROR, {}, channel.join_ref, channel.join_ref))
                count += 1
            conn.channels.clear()
        return count

    def send_malformed(self, kind: Malformed | str = Malformed.NOT_JSON) -> int:
        """Push a bad frame of the given kind to every socket. Returns how many sockets got it."""
        kind = Malformed(kind)
        count = 0
        for conn in list(self._conns):
            topic = next(iter(conn.channels), "api:unknown")
            frame: str | bytes
            if kind is Malformed.NOT_JSON:
                frame = '{"event": "ltp", "payload": {"22": '
            elif kind is Malformed.NOT_OBJECT:
                frame = "[1, 2, 3]" if conn.vsn is Vsn.V1 else '{"not": "an array"}'
            elif kind is Malformed.UNKNOWN_EVENT:
                frame = encode(Message(topic, "surprise", {"x": 1}), conn.vsn)
            elif kind is Malformed.UNKNOWN_TOPIC:
                frame = encode(Message("room:lobby", Event.LTP, {"22": {"ltp": 1}}), conn.vsn)
            elif kind is Malformed.WRONG_TYPES:
                frame = encode(Message(topic, Event.LTP, {"22": {"ltp": "lots", "ltq": None, "ltt": 5},
                                                           "2885": "nope"}), conn.vsn)
            elif kind is Malformed.OVERSIZED:
                frame = encode(Message(topic, Event.LTP, {"pad": "x" * (3 * 2**20)}), conn.vsn)
            else:
                frame = b"\x00\xff binary junk"
            conn.send_raw(frame)
            count += 1
        return count

    def broadcast_raw(self, frame: str | bytes) -> int:
        """Push ``frame`` exactly as given to every socket (hostile-server tests). Returns how many got it."""
        conns = list(self._conns)
        for conn in conns:
            conn.send_raw(frame)
        return len(conns)

    def set_reply_delay(self, seconds: float) -> None:
        """Delay every frame the server sends by ``seconds`` (order kept)."""
        self.reply_delay = max(0.0, seconds)

    def set_token_fault(self, fault: TokenFault | str | None) -> None:
        """Make the token endpoint misbehave (None restores it)."""
        self.token_fault = TokenFault(fault) if fault else None
        if self.token_fault is not TokenFault.HANG:
            self._token_unhang.set()

    async def restart(self, downtime: float = 0.2) -> None:
        """Close the listener and every socket, wait ``downtime``, listen again on the same port.
        Tokens and orders survive (they live behind the gateway); channels do not."""
        log.info("fault: restarting")
        await self._close_server()
        await asyncio.sleep(downtime)
        await self._listen()

    async def apply_fault(self, name: str, params: dict[str, str] | None = None) -> None:
        """Apply a fault by name (admin endpoint and CLI schedule)."""
        params = params or {}
        if name == "drop":
            self.drop_all()
        elif name == "stall":
            self.stall(True)
        elif name == "unstall":
            self.stall(False)
        elif name == "expire":
            self.expire_tokens()
        elif name == "mute":
            self.mute_feed()
        elif name == "crash":
            self.crash_channels()
        elif name == "malformed":
            self.send_malformed(params.get("kind", "not_json"))
        elif name == "delay":
            self.set_reply_delay(float(params.get("seconds", "0")))
        elif name == "token":
            self.set_token_fault(params.get("kind") or None)
        elif name == "restart":
            await self.restart(float(params.get("downtime", "0.2")))
        else:
            raise ValueError(f"unknown fault {name!r}")
