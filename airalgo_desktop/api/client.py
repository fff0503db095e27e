"""The asyncio driver around :class:`~airalgo_desktop.api.channel.ChannelMachine`.

It performs what the machine commands — fetch a token with ``httpx``, open a ``websockets`` connection, write
frames in order through one writer task, close — and reports back what happened. Events go to listeners
(one ingress for the GUI). All calls are made on the event loop's thread; nothing here blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import secrets
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

from ..domain.instruments import Instrument
from ..domain.nsetime import now_ist
from ..domain.orders import OrderRequest
from ..listeners import Listeners
from ..logs import RateLimitFilter, register_secret
from ..transport import HTTP_SCHEMES, WS_SCHEMES, check_transport
from .channel import ChannelConfig, ChannelMachine
from .events import (
    CloseSocket,
    ConnectionState,
    Event,
    FetchToken,
    HeartbeatReply,
    Metrics,
    OpenSocket,
    ReplyTimeout,
    Send,
    State,
    StateChanged,
)
from .token import TOKEN_DEADLINE, TokenError, fetch_token

log = logging.getLogger("airalgo.api.client")
log.addFilter(RateLimitFilter(burst=5, period=10.0))

_CLOSE = object()


class OrderValidationError(ValueError):
    """The ticket is not sendable; ``problems`` lists every reason in words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class NotConnectedError(RuntimeError):
    """An order was placed while the channel is not joined. Nothing was sent."""


@dataclass
class ClientConfig:
    """Where to connect and how; defaults are the protocol notes'."""

    ws_url: str
    token_url: str
    api_key: str
    allow_insecure: bool = False
    heartbeat_interval: float = 30.0
    push_timeout: float = 10.0
    stall_timeout: float | None = 90.0
    stall_market_hours_only: bool = True
    http_timeout: float = 10.0
    token_deadline: float = TOKEN_DEADLINE
    open_timeout: float = 10.0
    max_size: int = 16 * 2**20
    max_frame_chars: int = 4 * 2**20

    def channel_config(self) -> ChannelConfig:
        """The machine's part of this configuration."""
        return ChannelConfig(
            api_key=self.api_key,
            heartbeat_interval=self.heartbeat_interval,
            push_timeout=self.push_timeout,
            stall_timeout=self.stall_timeout,
            stall_market_hours_only=self.stall_market_hours_only,
            max_frame_chars=self.max_frame_chars,
        )


class AirAlgoClient:
    """A connection that stays up: ``await client.start()``, then ``subscribe``/``place_order``; ``await close()``."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        rng: random.Random | None = None,
        clock_ist: Callable[[], datetime] = now_ist,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        check_transport(config.ws_url, allow_insecure=config.allow_insecure, kind="WEBSOCKET_SERVER_URL",
                        schemes=WS_SCHEMES)
        check_transport(config.token_url, allow_insecure=config.allow_insecure, kind="TOKEN_SERVER_URL",
                        schemes=HTTP_SCHEMES)
        register_secret(config.api_key)
        self.config = config
        self.machine = ChannelMachine(config.channel_config(), rng=rng, clock_ist=clock_ist)
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(config.http_timeout), follow_redirects=False)
        self._own_http = http is None
        self._listeners: Listeners[Event] = Listeners(log, "event listener")
        self._ws: ClientConnection | None = None
        self._gen = 0
        self._queue: asyncio.Queue[Any] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._pumping = False
        self._again = False
        self._flush_scheduled = False
        self._ids = itertools.count(1)
        # unique across restarts and windows: date-time plus a random part
        self._id_prefix = time.strftime("%y%m%d%H%M%S") + secrets.token_hex(2)
        self._state_changed = asyncio.Event()
        self._hb_waiters: dict[str, asyncio.Future[float]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ public API
    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """Call ``listener(event)`` for every event (on the loop's thread)."""
        self._listeners.add(listener)

    def remove_listener(self, listener: Callable[[Event], None]) -> None:
        """Stop calling ``listener``."""
        self._listeners.remove(listener)

    @property
    def state(self) -> ConnectionState:
        """Current connection state."""
        return self.machine.state

    @property
    def metrics(self) -> Metrics:
        """Live metrics (heartbeat RTT, ticks/s, reconnects, dropped frames …)."""
        return self.machine.metrics

    def now(self) -> float:
        """The driver clock (the loop's monotonic time)."""
        return self._loop.time() if self._loop else time.monotonic()

    async def start(self) -> None:
        """Connect (returns at once; watch the state for progress)."""
        self._loop = asyncio.get_running_loop()
        self.machine.start(self.now())
        self._pump()

    def reconnect(self) -> None:
        """Drop the connection (if any) and connect again now, with a fresh token."""
        self.machine.reconnect_now(self.now())
        self._pump()

    def subscribe(self, tokens: Iterable[str]) -> None:
        """Reference-counted subscribe; frames go out once per loop turn."""
        self.machine.subscriptions.want(tokens)
        self._schedule_flush()

    def unsubscribe(self, tokens: Iterable[str]) -> None:
        """Reference-counted unsubscribe."""
        self.machine.subscriptions.unwant(tokens)
        self._schedule_flush()

    def new_local_id(self) -> str:
        """A local order id unique to this run (journal keys use it)."""
        return f"L{self._id_prefix}-{next(self._ids)}"

    def place_order(self, request: OrderRequest, instrument: Instrument | None, *, local_id: str | None = None) -> str:
        """Validate, then send exactly once. Returns the local id.

        Raises :class:`OrderValidationError` (nothing sent) or :class:`NotConnectedError` (nothing sent).
        """
        problems = request.validate(instrument)
        if problems:
            raise OrderValidationError(problems)
        local_id = local_id or self.new_local_id()
        try:
            self.machine.place_order(request, local_id, self.now())
        except RuntimeError as exc:
            raise NotConnectedError(str(exc)) from None
        self._pump()
        return local_id

    def track_order(self, local_id: str, request: OrderRequest, *, order_number: str | None = None) -> None:
        """Follow an order sent earlier (a previous connection or run) so that late answers are correlated to it.
        Nothing is sent."""
        self.machine.orders.track(local_id, request, order_number=order_number)

    async def ping(self, timeout: float | None = None) -> float:
        """Send a heartbeat now and return its round trip in seconds (TimeoutError if none)."""
        if self._ws is None:
            raise ConnectionError("not connected")
        ref = self.machine.heartbeat_now(self.now())
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._hb_waiters[ref] = future
        self._pump()
        try:
            return await asyncio.wait_for(future, timeout or self.config.push_timeout)
        finally:
            self._hb_waiters.pop(ref, None)

    async def wait_for(self, predicate: Callable[[ConnectionState], bool], timeout: float) -> ConnectionState:
        """Wait until the state satisfies ``predicate`` (TimeoutError otherwise)."""
        async def waiter() -> ConnectionState:
            while not predicate(self.state):
                self._state_changed.clear()
                await self._state_changed.wait()
            return self.state

        return await asyncio.wait_for(waiter(), timeout)

    async def close(self) -> None:
        """Leave the channel, close the socket, stop every task. Safe to call twice."""
        self.machine.close(self.now())
        self._pump()
        if self._timer:
            self._timer.cancel()
            self._timer = None
        tasks = list(self._tasks)
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=3)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self._own_http:
            await self._http.aclose()

    # ------------------------------------------------------------------ machinery
    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        self.machine.flush_subscriptions(self.now())
        self._pump()

    def _pump(self) -> None:
        """Carry out the machine's commands and hand its events to listeners; re-entrant safe."""
        if self._pumping:
            self._again = True
            return
        self._pumping = True
        try:
            while True:
                self._again = False
                for command in self.machine.take_commands():
                    self._execute(command)
                for event in self.machine.take_events():
                    self._dispatch(event)
                if not self._again:
                    break
        finally:
            self._pumping = False
        self._reschedule_timer()

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, StateChanged):
            self._state_changed.set()
        elif isinstance(event, HeartbeatReply):
            future = self._hb_waiters.get(event.ref)
            if future is not None and not future.done():
                future.set_result(event.rtt)
        elif isinstance(event, ReplyTimeout):
            future = self._hb_waiters.get(event.ref)
            if future is not None and not future.done():
                future.set_exception(TimeoutError("no heartbeat reply"))
        self._listeners.emit(event)

    def _reschedule_timer(self) -> None:
        deadline = self.machine.next_deadline()
        if deadline == self._timer_at and self._timer is not None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None and self._loop is not None and not self._loop.is_closed():
            self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        self.machine.on_timer(self.now())
        self._pump()

    def _execute(self, command: Any) -> None:
        if isinstance(command, Send):
            if self._queue is None:
                return
            if command.local_id is not None and self._queue.empty() and self._write_now(command.text):
                # an order goes out inside the trader's Send call instead of on a later loop turn
                self.machine.order_written(command.local_id, self.now())
                return
            self._queue.put_nowait((command.text, command.local_id))
        elif isinstance(command, FetchToken):
            self._spawn(self._fetch_token(), "airalgo-token")
        elif isinstance(command, OpenSocket):
            self._spawn(self._open_socket(), "airalgo-connect")
        elif isinstance(command, CloseSocket):
            self._detach(command.reason)

    def _write_now(self, text: str) -> bool:
        """Write one frame to the transport synchronously. Only called with nothing queued ahead of it, so frame
        order is kept (the writer hands each frame to the transport before it awaits). False: use the queue."""
        ws = self._ws
        if ws is None:
            return False
        try:
            from websockets.protocol import State as WsState

            if ws.protocol.state is not WsState.OPEN:
                return False
            ws.protocol.send_text(text.encode())
            ws.send_data()
        except Exception:  # an unexpected websockets internals change: fall back to the writer task
            log.debug("direct write unavailable; using the writer task", exc_info=True)
            return False
        return True

    def _detach(self, reason: str) -> None:
        """Stop listening to the current socket and let its writer close it after what is queued."""
        self._gen += 1
        if self._queue is not None:
            self._queue.put_nowait(_CLOSE)
        self._queue = None
        self._ws = None
        log.info("closing socket: %s", reason)

    async def _fetch_token(self) -> None:
        try:
            token = await fetch_token(self._http, self.config.token_url, self.config.api_key,
                                      deadline=self.config.token_deadline)
        except TokenError as exc:
            log.warning("token fetch failed: %s", exc.message)
            self.machine.token_failed(exc, self.now())
        except Exception as exc:  # never let a bug in the fetch kill the connection logic
            log.exception("token fetch crashed")
            from .token import TokenErrorKind

            self.machine.token_failed(TokenError(TokenErrorKind.UNREACHABLE, type(exc).__name__), self.now())
        else:
            self.machine.token_received(token, self.now())
        self._pump()

    async def _open_socket(self) -> None:
        try:
            ws = await connect(
                self.config.ws_url,
                open_timeout=self.config.open_timeout,
                ping_interval=None,  # Phoenix heartbeats do this job, visibly
                max_size=self.config.max_size,
                close_timeout=2,
                user_agent_header="AirAlgoDesktop",
            )
        except (OSError, TimeoutError, InvalidStatus, InvalidURI, ssl.SSLError, ConnectionClosed) as exc:
            reason = _connect_error_text(exc)
            log.warning("websocket connect failed: %s", reason)
            self.machine.socket_closed(self.now(), reason)
            self._pump()
            return
        except Exception as exc:
            log.exception("websocket connect crashed")
            self.machine.socket_closed(self.now(), type(exc).__name__)
            self._pump()
            return
        if self.machine.state.state is State.CLOSED:
            await ws.close()
            return
        self._gen += 1
        gen = self._gen
        self._ws = ws
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self._queue = queue
        self._spawn(self._writer(ws, queue), "airalgo-writer")
        self._spawn(self._reader(ws, gen), "airalgo-reader")
        self.machine.socket_opened(self.now())
        self._pump()

    async def _writer(self, ws: ClientConnection, queue: asyncio.Queue[Any]) -> None:
        try:
            while True:
                item = await queue.get()
                if item is _CLOSE:
                    break
                text, local_id = item
                await ws.send(text)
                if local_id is not None:
                    self.machine.order_written(local_id, self.now())
                    self._pump()
        except ConnectionClosed:
            pass  # the reader reports the loss
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 3)

    async def _reader(self, ws: ClientConnection, gen: int) -> None:
        reason = "connection lost"
        try:
            async for frame in ws:
                if gen != self._gen:
                    return
                self.machine.receive(frame, self.now())
                self._pump()
        except ConnectionClosed as exc:
            reason = _close_text(exc, max_size=self.config.max_size)
        except Exception as exc:
            log.exception("socket reader failed")
            reason = type(exc).__name__
        else:
            reason = _close_text(None, ws, max_size=self.config.max_size)
        if gen == self._gen:
            self._ws = None
            if self._queue is not None:
                self._queue.put_nowait(_CLOSE)
                self._queue = None
            log.warning("socket closed: %s", reason)
            self.machine.socket_closed(self.now(), reason)
            self._pump()


def _close_text(exc: ConnectionClosed | None, ws: ClientConnection | None = None, *, max_size: int = 0) -> str:
    """Why the socket closed, in words. A frame over ``max_size`` is closed by *us* with 1009 (so there is a sent
    close frame and maybe no received one)."""
    if exc is not None:
        rcvd, sent = exc.rcvd, exc.sent
    elif ws is not None:
        rcvd, sent = ws.protocol.close_rcvd, ws.protocol.close_sent
    else:
        rcvd = sent = None
    if (sent is not None and sent.code == 1009) or (rcvd is not None and rcvd.code == 1009):
        limit = f"{max_size / 2**20:g} MB" if max_size else "the size limit"
        return f"the server sent a frame larger than {limit}; reconnecting"
    if sent is not None and sent.code == 1007:
        return "the server sent text that is not valid UTF-8; reconnecting"
    if rcvd is None:
        return "connection lost (no close frame)"
    return f"server closed the connection (code {rcvd.code})"


def _connect_error_text(exc: BaseException) -> str:
    if isinstance(exc, InvalidStatus):
        return f"server refused the websocket (HTTP {exc.response.status_code})"
    if isinstance(exc, ssl.SSLError):
        return "secure connection failed (certificate not verified)"
    if isinstance(exc, TimeoutError):
        return "connection attempt timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, InvalidURI):
        return "WEBSOCKET_SERVER_URL is not a valid websocket URL"
    if isinstance(exc, OSError):
        return f"network error ({exc.strerror or type(exc).__name__})"
    return type(exc).__name__
