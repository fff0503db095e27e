"""The AirAlgo channel as a sans-I/O state machine.

No sockets, no clock, no asyncio: the driver feeds it what happened (``socket_opened``, ``receive(text)``,
``token_received``, ``on_timer(now)`` …) and carries out the commands it hands back (:class:`FetchToken`,
:class:`OpenSocket`, :class:`Send`, :class:`CloseSocket`); typed events for the application come out of
:meth:`take_events`. The idea is the one behind ``websockets``' own protocol object: everything that decides
is a plain object, testable and benchmarkable without a network, and the I/O layer stays thin.

:class:`ChannelMachine` is that shell: it keeps the connection's life cycle (token, socket, join, heartbeat,
backoff, stall watchdog) and composes three plain objects, each tested on its own:

* :class:`~airalgo_desktop.api.subscriptions.SubscriptionSet` (``machine.subscriptions``) — reference-counted
  wanted tokens and what the server has;
* :class:`~airalgo_desktop.api.correlator.OrderCorrelator` (``machine.orders``) — which ticket an
  ``order_response`` answers, and which orders became unknown;
* :class:`~airalgo_desktop.api.feed.FeedGate` (``machine.feed``) — ``ltp`` validation and the feed's figures.

Rules it keeps (protocol-notes §1–§6):

* every socket connection starts with a **freshly fetched** token; a refused token is refetched once, a second
  refusal is :attr:`State.AUTH_FAILED` (no hot loop); "Invalid API Key" fails at once;
* heartbeat every 30 s; a heartbeat still unanswered when the next is due closes the socket;
* reconnect on the phoenix.js schedule with jitter; rejoin after ``phx_error`` on its own schedule;
* the data-stall watchdog marks the feed stale and recovers with a fresh token under the same backoff;
  the backoff resets only once ticks flow again, so a mute feed cannot cause a reconnect storm;
* subscriptions are reference counted and flushed once per loop turn; after every join all wanted tokens
  are subscribed again;
* an order is written **once**. If the socket or channel is lost before any answer, it is reported
  :class:`OrderUnknown` and never resent; a later ``order_response`` still resolves it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from ..domain.instruments import parse_token
from ..domain.nsetime import MARKET_CLOSE, MARKET_OPEN, in_market_hours, now_ist
from ..domain.orders import OrderRequest
from ..logs import RateLimitFilter, register_secret, shorten
from .correlator import OrderCorrelator
from .events import (
    ChannelError,
    CloseSocket,
    Command,
    ConnectionState,
    Event,
    FeedStale,
    FetchToken,
    HeartbeatReply,
    Metrics,
    OpenSocket,
    OrderWritten,
    ReplyTimeout,
    Send,
    State,
    StateChanged,
    Ticks,
    Unsubscribed,
)
from .feed import FeedGate, quotes_are_clean
from .phoenix import PHOENIX_TOPIC, DecodeError, Message, RefCounter, decode, encode
from .phoenix import Event as Ev
from .subscriptions import SubscriptionSet
from .token import TokenError

log = logging.getLogger("airalgo.api.channel")
log.addFilter(RateLimitFilter(burst=5, period=10.0))

REASON_INVALID_KEY = "Invalid API Key"
REASON_INVALID_TOKEN = "Invalid Access Token. Try generating fresh Access Token"
REASON_UNMATCHED = "unmatched topic"

# phoenix.js: reconnectAfterMs and rejoinAfterMs
RECONNECT_SCHEDULE = (0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0)
REJOIN_SCHEDULE = (1.0, 2.0, 5.0, 10.0)


@dataclass
class ChannelConfig:
    """Timings and limits; defaults are the protocol notes'. Tests shrink them."""

    api_key: str
    heartbeat_interval: float = 30.0
    push_timeout: float = 10.0
    stall_timeout: float | None = 90.0
    stall_market_hours_only: bool = True
    market_open: time = MARKET_OPEN
    market_close: time = MARKET_CLOSE
    reconnect_schedule: tuple[float, ...] = RECONNECT_SCHEDULE
    rejoin_schedule: tuple[float, ...] = REJOIN_SCHEDULE
    jitter: float = 0.2
    max_frame_chars: int = 4 * 2**20

    @property
    def topic(self) -> str:
        """``api:<key>`` — a secret; never log it."""
        return f"api:{self.api_key}"


class ChannelMachine:
    """Decides everything about one AirAlgo connection; performs no I/O.

    ``state`` is the current :class:`ConnectionState`; ``subscriptions``, ``orders`` and ``feed`` are the plain
    objects it is composed of (views want tokens through ``subscriptions``; orders from an earlier run are
    followed through ``orders.track``)."""

    def __init__(
        self,
        config: ChannelConfig,
        *,
        rng: random.Random | None = None,
        clock_ist: Callable[[], datetime] = now_ist,
    ) -> None:
        self.cfg = config
        register_secret(config.api_key)
        self.topic = config.topic
        self.rng = rng or random.Random()
        self.clock_ist = clock_ist
        self.metrics = Metrics()
        self.state = ConnectionState(State.DISCONNECTED)
        self.subscriptions = SubscriptionSet()
        self.orders = OrderCorrelator()
        self.feed = FeedGate(self.metrics, self.subscriptions.live)  # only wanted ticks are kept
        self._commands: list[Command] = []
        self._events: list[Event] = []
        self._refs = RefCounter()
        self._socket_open = False
        self._token: str | None = None
        self._refetching_after_refusal = False
        self._refused_once = False
        self._join_ref: str | None = None
        self._awaiting: dict[str, tuple[str, float, float]] = {}  # ref -> (event, sent_at, deadline)
        self._heartbeat_ref: str | None = None
        self._next_heartbeat: float | None = None
        self._reconnect_at: float | None = None
        self._rejoin_at: float | None = None
        self._rejoin_attempt = 0
        self._attempt = 0
        self._leaving = False
        self._stale = False

    # ================================================================= outputs
    def take_commands(self) -> list[Command]:
        """Commands for the driver, in order; the list is emptied."""
        out, self._commands = self._commands, []
        return out

    def take_events(self) -> list[Event]:
        """Events for the application, in order; the list is emptied."""
        out, self._events = self._events, []
        return out

    def next_deadline(self) -> float | None:
        """When :meth:`on_timer` must next be called (driver clock), or None."""
        times = [t for t in (self._next_heartbeat, self._reconnect_at, self._rejoin_at) if t is not None]
        times += [deadline for (_e, _s, deadline) in self._awaiting.values()]
        stall = self._stall_deadline()
        if stall is not None:
            times.append(stall)
        return min(times) if times else None

    def _set_state(self, state: State, *, attempt: int = 0, delay: float = 0.0, reason: str = "") -> None:
        new = ConnectionState(state, attempt, delay, reason, self._stale and state is State.JOINED)
        if new != self.state:
            self.state = new
            self._events.append(StateChanged(new))
            log.info("connection: %s", new.describe())

    def _send(self, event: str, payload: Any, *, topic: str | None = None, local_id: str | None = None,
              expect_reply: bool, now: float) -> str:
        ref = self._refs.next()
        message = Message(topic or self.topic, event, payload, ref)
        if expect_reply:
            self._awaiting[ref] = (event, now, now + self.cfg.push_timeout)
        self._commands.append(Send(encode(message), local_id))
        return ref

    # ================================================================= life cycle inputs
    def start(self, now: float) -> None:
        """Begin connecting (from Disconnected, AuthFailed or Closed)."""
        if self.state.state in (State.DISCONNECTED, State.AUTH_FAILED, State.CLOSED):
            self.reconnect_now(now)  # no socket is open in these states: nothing is closed

    def reconnect_now(self, now: float) -> None:
        """User asked to reconnect: drop whatever is there and start again at once."""
        self._leaving = False
        self._refused_once = False
        self._attempt = 0
        self._close_socket(now, "reconnect requested")
        self._reconnect_at = None
        self._set_state(State.CONNECTING)
        self._commands.append(FetchToken())

    def close(self, now: float) -> None:
        """Leave the channel and close the socket for good (app shutdown)."""
        self._leaving = True
        self._reconnect_at = self._rejoin_at = None
        if self._socket_open and self.state.state is State.JOINED:
            self._send(Ev.LEAVE, {}, expect_reply=False, now=now)
        self._close_socket(now, "closing")
        self._set_state(State.CLOSED)

    def token_received(self, token: str, now: float) -> None:
        """The driver fetched a token."""
        register_secret(token)
        self._token = token
        if self._leaving:
            return
        if self._refetching_after_refusal and self._socket_open:
            self._refetching_after_refusal = False
            self._join(now)
            return
        self._refetching_after_refusal = False
        if not self._socket_open:
            self._commands.append(OpenSocket())

    def token_failed(self, error: TokenError, now: float) -> None:
        """The token fetch failed: a refused key is final, anything else retries with backoff."""
        self._refetching_after_refusal = False
        if self._leaving:
            return
        if error.kind.is_auth:
            self._auth_failed(str(error), now)
            return
        self._close_socket(now, "no token")
        self._retry(now, error.message)

    def socket_opened(self, now: float) -> None:
        """The websocket is open: join, start heartbeats."""
        self._socket_open = True
        self._awaiting.clear()
        self._heartbeat_ref = None
        self._next_heartbeat = now + self.cfg.heartbeat_interval
        if self._leaving:
            self._close_socket(now, "closing")
            return
        if self._token is None:  # cannot happen via the normal flow; be safe
            self._refetching_after_refusal = True
            self._commands.append(FetchToken())
            return
        self._join(now)

    def socket_closed(self, now: float, reason: str = "") -> None:
        """The websocket closed by itself or could not open. Not called for closes the machine commanded."""
        was_open, self._socket_open = self._socket_open, False  # it closed by itself: no CloseSocket to command
        self._close_socket(now, reason)
        if self._leaving or self.state.state in (State.CLOSED, State.AUTH_FAILED):
            return
        self._retry(now, reason or ("connection lost" if was_open else "could not connect"))

    def _close_socket(self, now: float, reason: str) -> None:
        """Command a close (when open) and treat the socket as gone from now on (the driver reports nothing more of
        it): no replies awaited, no subscriptions on the server, unanswered orders unknown."""
        if self._socket_open:
            self._commands.append(CloseSocket(reason))
        self._socket_open = False
        self._awaiting.clear()
        self._heartbeat_ref = None
        self._next_heartbeat = None
        self._rejoin_at = None
        self._join_ref = None
        self.subscriptions.server_lost()
        self._refetching_after_refusal = False
        # every reconnect after a failure fetches a fresh token (tokens roll over overnight)
        self._token = None
        self._events.extend(self.orders.connection_lost())

    def _retry(self, now: float, reason: str, *, rejoin: bool = False) -> None:
        """Schedule a reconnect (phoenix.js schedule, with jitter) or, with ``rejoin``, a rejoin on the open
        socket (its own schedule)."""
        if rejoin:
            schedule = self.cfg.rejoin_schedule
            delay = schedule[min(self._rejoin_attempt, len(schedule) - 1)]
            self._rejoin_attempt += 1
            self._join_ref = None
            self.subscriptions.server_lost()
            self._rejoin_at = now + delay
            self._set_state(State.RECONNECTING, attempt=self._rejoin_attempt, delay=delay, reason=reason)
            return
        schedule = self.cfg.reconnect_schedule
        delay = schedule[min(self._attempt, len(schedule) - 1)]
        delay *= 1 + self.rng.uniform(-self.cfg.jitter, self.cfg.jitter)
        self._attempt += 1
        self.metrics.reconnects += 1
        self._reconnect_at = now + delay
        self._set_state(State.RECONNECTING, attempt=self._attempt, delay=delay, reason=reason)

    def _auth_failed(self, reason: str, now: float) -> None:
        self._close_socket(now, "authentication failed")
        self._reconnect_at = self._rejoin_at = None
        self._set_state(State.AUTH_FAILED, reason=reason)

    def _join(self, now: float) -> None:
        self._set_state(State.AUTHENTICATING)
        self._join_ref = self._send(Ev.JOIN, {"access_token": self._token}, expect_reply=True, now=now)

    # ================================================================= timers
    def on_timer(self, now: float) -> None:
        """Run whatever is due at ``now``."""
        for ref, (event, _sent, deadline) in list(self._awaiting.items()):
            if deadline <= now:
                del self._awaiting[ref]
                self._events.append(ReplyTimeout(event, ref))
                if event == Ev.JOIN and ref == self._join_ref:
                    log.warning("join got no reply in %.0fs; reconnecting", self.cfg.push_timeout)
                    self._close_socket(now, "join timed out")
                    self._retry(now, "join timed out")
                    return
        if self._next_heartbeat is not None and now >= self._next_heartbeat and self._socket_open:
            if self._heartbeat_ref is not None:
                log.warning("heartbeat unanswered for %.0fs; connection is dead", self.cfg.heartbeat_interval)
                self._close_socket(now, "heartbeat timeout")
                self._retry(now, "heartbeat timeout")
                return
            self._heartbeat_ref = self._send(Ev.HEARTBEAT, {}, topic=PHOENIX_TOPIC, expect_reply=True, now=now)
            self._next_heartbeat = now + self.cfg.heartbeat_interval
        if self._reconnect_at is not None and now >= self._reconnect_at and not self._socket_open:
            self._reconnect_at = None
            self._set_state(State.CONNECTING)
            self._commands.append(FetchToken())
        if self._rejoin_at is not None and now >= self._rejoin_at and self._socket_open:
            self._rejoin_at = None
            self._join(now)
        if self._stall_deadline() is not None:
            assert self.feed.last_data is not None and self.cfg.stall_timeout is not None
            silent = now - self.feed.last_data
            if silent >= self.cfg.stall_timeout:
                self._stale = True
                self._events.append(FeedStale(silent))
                log.warning("no ticks for %.0fs although joined: feed stale, reconnecting with a fresh token", silent)
                self._set_state(State.JOINED)  # publishes stale=True
                reason = f"feed stale ({silent:.0f}s without ticks)"
                self._close_socket(now, reason)
                self._retry(now, reason)

    def _stall_deadline(self) -> float | None:
        """When the data-stall watchdog fires, or None while it is not armed (not joined, nothing wanted, off
        hours)."""
        cfg, last_data = self.cfg, self.feed.last_data
        if cfg.stall_timeout is None or self.state.state is not State.JOINED or last_data is None:
            return None
        if not self.subscriptions:  # O(1): asked per frame
            return None
        if cfg.stall_market_hours_only and not in_market_hours(self.clock_ist(), cfg.market_open, cfg.market_close):
            return None
        return last_data + cfg.stall_timeout

    def heartbeat_now(self, now: float) -> str:
        """Send a heartbeat at once (``doctor`` measures its round trip); returns its ref. One at a time."""
        if not self._socket_open:
            raise RuntimeError("not connected")
        if self._heartbeat_ref is None:
            self._heartbeat_ref = self._send(Ev.HEARTBEAT, {}, topic=PHOENIX_TOPIC, expect_reply=True, now=now)
            self._next_heartbeat = now + self.cfg.heartbeat_interval
        return self._heartbeat_ref

    # ================================================================= subscriptions and orders
    def flush_subscriptions(self, now: float) -> None:
        """Send the net change of ``subscriptions`` since the last flush as one subscribe and one unsubscribe
        frame (nothing before the join: the join subscribes everything wanted)."""
        if self.state.state is not State.JOINED:
            self.subscriptions.dirty = False
            return
        add, remove = self.subscriptions.changes()
        if add:
            self._send(Ev.SUBSCRIBE, {"list": add}, expect_reply=False, now=now)
        if remove:
            self._send(Ev.UNSUBSCRIBE, {"list": remove}, expect_reply=False, now=now)

    def place_order(self, request: OrderRequest, local_id: str, now: float) -> None:
        """Write one order frame. Raises ``RuntimeError`` when not joined: orders are never queued."""
        if self.state.state is not State.JOINED:
            raise RuntimeError(f"not connected ({self.state.describe()}): the order was not sent")
        self.orders.sent(local_id, request, now)
        self.metrics.orders_sent += 1
        self._send(Ev.ORDER, request.to_payload(), local_id=local_id, expect_reply=False, now=now)

    def order_written(self, local_id: str, at: float) -> None:
        """The driver wrote an order frame."""
        self._events.append(OrderWritten(local_id, at))

    # ================================================================= frames in
    def receive(self, text: str | bytes, now: float) -> None:
        """One frame from the socket. Never raises; junk is counted and logged (rate limited): a frame can be
        dropped, it can never take the connection down."""
        try:
            msg = _decode_frame(text, self.cfg.max_frame_chars, self.metrics)
            if msg is None:
                return
            event = msg.event
            if event == Ev.REPLY and msg.topic in (PHOENIX_TOPIC, self.topic):
                self._on_reply(msg, now)
            elif msg.topic != self.topic:
                self.metrics.unknown_events += 1
                log.warning("frame for another topic ignored (event %r)", shorten(event, 40))
            elif event == Ev.LTP:
                if self.state.state is not State.JOINED:
                    return
                first = self.feed.ticks_since_join == 0
                quotes = self.feed.accept(msg.payload, now)
                if quotes is None:
                    return
                if first:
                    self._attempt = 0  # data flows: the connection is healthy, reset the backoff
                    if self._stale:
                        self._stale = False
                        self._set_state(State.JOINED)
                self._events.append(Ticks(quotes))
            elif event == Ev.ORDER_RESPONSE:
                answer = self.orders.answer(msg.payload)
                if answer is None:
                    self.metrics.malformed_frames += 1
                    log.warning("order_response without a usable payload dropped")
                else:
                    self._events.append(answer)
            elif event == Ev.UNSUBSCRIBE:
                tokens = msg.payload.get("tokens") if isinstance(msg.payload, dict) else None
                if isinstance(tokens, list):
                    clean = tuple(t for t in map(parse_token, tokens) if t is not None)
                    if len(clean) < len(tokens):
                        self.metrics.malformed_frames += 1
                    self._events.append(Unsubscribed(clean))
                else:
                    self.metrics.malformed_frames += 1
            elif event in (Ev.ERROR, Ev.CLOSE):
                if self._join_ref is not None and msg.ref not in (None, self._join_ref):
                    return  # a close for an older incarnation of the channel (duplicate join)
                if not self._leaving:
                    self._events.extend(self.orders.connection_lost())
                    self._retry(now, "the server reported a channel error" if event == Ev.ERROR
                                else "the server closed the channel", rejoin=True)
            else:
                self.metrics.unknown_events += 1
                log.warning("unknown event %r ignored", shorten(event, 40))
        except Exception as exc:  # a value no check foresaw: drop this frame, keep the connection and its orders
            self.metrics.malformed_frames += 1
            log.error("frame dropped: it could not be handled (%s)", type(exc).__name__)

    def _on_reply(self, msg: Message, now: float) -> None:
        ref = msg.ref
        pending = self._awaiting.pop(ref, None) if ref is not None else None
        status, reason = msg.reply_status, msg.reply_reason
        if ref is not None and ref == self._heartbeat_ref:
            self._heartbeat_ref = None
            if pending is not None:
                rtt = now - pending[1]
                self.metrics.heartbeat_rtt = rtt
                self._events.append(HeartbeatReply(ref, rtt))
            return
        if ref is not None and ref == self._join_ref and pending is not None:
            if status == "ok":  # joined
                self._refused_once = False
                self._rejoin_attempt = 0
                self.feed.joined(now)  # grace period for the stall watchdog starts now
                self.subscriptions.server_lost()
                self._set_state(State.JOINED)
                if not self.subscriptions:
                    self._attempt = 0
                self.flush_subscriptions(now)
            elif reason == REASON_INVALID_KEY:
                self._auth_failed("Invalid API Key. Re-enter your API key (Account → API key…).", now)
            elif reason == REASON_INVALID_TOKEN:
                if self._refused_once:
                    self._auth_failed("The access token was refused twice, even a fresh one. "
                                      "Check your AirAlgo account, then reconnect.", now)
                else:
                    self._refused_once = True
                    self._refetching_after_refusal = True
                    log.info("access token refused; fetching a fresh one and rejoining")
                    self._commands.append(FetchToken())
            else:
                reason = shorten(reason or "join refused", 200)
                self._events.append(ChannelError(Ev.JOIN, reason))
                self._retry(now, reason, rejoin=True)
            return
        if status == "error":
            event = pending[0] if pending else "push"
            reason = shorten(reason or "error", 200)
            self._events.append(ChannelError(event, reason))
            log.warning("server error reply: %s", reason)


def _decode_frame(text: str | bytes, max_chars: int, metrics: Metrics) -> Message | None:
    """A text frame decoded, or None (counted and logged) for a binary, oversized or malformed one."""
    if isinstance(text, bytes | bytearray):
        metrics.malformed_frames += 1
        log.warning("binary frame of %d bytes ignored", len(text))
        return None
    if len(text) > max_chars:
        metrics.oversized_frames += 1
        log.warning("frame of %d chars over the %d limit ignored", len(text), max_chars)
        return None
    msg = decode(text)
    if isinstance(msg, DecodeError):
        metrics.malformed_frames += 1
        log.warning("malformed frame ignored: %s: %s", msg.reason, msg.excerpt)
        return None
    return msg


__all__ = ["ChannelConfig", "ChannelMachine", "quotes_are_clean"]
